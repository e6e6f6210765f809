/**
 * `Streams/Read` of the gRPC test server: reads (a count) and subscriptions, on a stream or on
 * `$all`, with KurrentDB's server-side filters. Semantics follow the server's enumerators:
 * - stream reads: forwards from a revision inclusive, backwards from a revision inclusive;
 *   a missing stream answers one `stream_not_found` message;
 * - `$all` reads: forwards from a position inclusive, backwards strictly before it;
 * - subscriptions: `confirmation`, then catch-up events strictly after the start point, then
 *   `caught_up`, then live events; filtered `$all` subscriptions also send `checkpoint`s.
 */
import { randomUUID } from 'node:crypto';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { FakeLog, StoredEvent } from './fakeLog.js';
import {
  caughtUpResp,
  checkpointResp,
  confirmationResp,
  grpcError,
  lastStreamPositionResp,
  readEventResp,
  streamNameOf,
  streamNotFoundResp,
} from './messages.js';
import { ReadReq, type ReadReqMessage, type ReadRespMessage } from './protocol.js';

type Options = InstanceType<typeof ReadReq.Options>;
type ReadCall = ServerWritableStream<ReadReqMessage, ReadRespMessage>;

// KurrentDB's default search window when the client asks for `count`; checkpoints come every
// `checkpointIntervalMultiplier` windows of considered events.
const DEFAULT_WINDOW = 32;

export function createReadHandler(log: FakeLog) {
  return (call: ReadCall): void => {
    const options = call.request.getOptions();
    if (options === undefined || !options.hasUuidOption()) {
      call.emit('error', grpcError(status.INVALID_ARGUMENT, 'Required argument uuid_option was not set'));
      return;
    }
    const structuredIds = options.getUuidOption()!.hasStructured();
    const send = (event: StoredEvent) => call.write(readEventResp(event, structuredIds));
    if (options.hasSubscription()) {
      if (options.getReadDirection() !== ReadReq.Options.ReadDirection.FORWARDS) {
        call.emit('error', grpcError(status.INVALID_ARGUMENT, 'Subscriptions only read forwards'));
        return;
      }
      if (options.hasStream()) subscribeToStream(log, call, options, send);
      else subscribeToAll(log, call, options, send);
      return;
    }
    if (!hasReadableStart(log, options)) {
      call.emit('error', invalidPosition());
      return;
    }
    const count = Number(BigInt(options.getCount()) > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : options.getCount());
    if (options.hasStream()) readStream(log, call, options, count, send);
    else readAll(log, options, count).forEach(send);
    call.end();
  };
}

function readStream(log: FakeLog, call: ReadCall, options: Options, count: number, send: (e: StoredEvent) => void): void {
  const streamOptions = options.getStream()!;
  const name = streamNameOf(streamOptions.getStreamIdentifier());
  const events = log.stream(name);
  if (events === undefined) {
    call.write(streamNotFoundResp(name));
    return;
  }
  const forwards = options.getReadDirection() === ReadReq.Options.ReadDirection.FORWARDS;
  const last = events.length - 1;
  const first = log.firstReadableRevision(name);
  if (forwards) {
    const from = Math.max(first, streamOptions.hasRevision() ? Number(streamOptions.getRevision()) : streamOptions.hasEnd() ? events.length : 0);
    events.slice(from, from + count).forEach(send);
    if ((options.getControlOption()?.getCompatibility() ?? 0) >= 1) call.write(lastStreamPositionResp(BigInt(last)));
  } else {
    const from = streamOptions.hasRevision() ? Math.min(Number(streamOptions.getRevision()), last) : streamOptions.hasStart() ? -1 : last;
    for (let index = from; index >= first && from - index < count; index--) send(events[index]!);
  }
}

function readAll(log: FakeLog, options: Options, count: number): StoredEvent[] {
  const all = options.getAll()!;
  const keep = filterOf(options);
  const forwards = options.getReadDirection() === ReadReq.Options.ReadDirection.FORWARDS;
  const out: StoredEvent[] = [];
  if (forwards) {
    if (all.hasEnd()) return out;
    const from = all.hasPosition() ? BigInt(all.getPosition()!.getCommitPosition()) : -1n;
    for (const event of log.events) {
      if (out.length >= count) break;
      if (event.position >= from && keep(event)) out.push(event);
    }
  } else {
    if (all.hasStart()) return out;
    const before = all.hasPosition() ? BigInt(all.getPosition()!.getCommitPosition()) : undefined;
    for (let index = log.events.length - 1; index >= 0 && out.length < count; index--) {
      const event = log.events[index]!;
      if ((before === undefined || event.position < before) && keep(event)) out.push(event);
    }
  }
  return out;
}

function subscribeToStream(log: FakeLog, call: ReadCall, options: Options, send: (e: StoredEvent) => void): void {
  const streamOptions = options.getStream()!;
  const name = streamNameOf(streamOptions.getStreamIdentifier());
  let checkpoint = streamOptions.hasRevision() ? BigInt(streamOptions.getRevision()) : streamOptions.hasEnd() ? log.head(name) : -1n;
  call.write(confirmationResp(randomUUID()));
  for (const event of log.stream(name) ?? []) {
    if (event.revision > checkpoint) {
      send(event);
      checkpoint = event.revision;
    }
  }
  call.write(caughtUpResp({ revision: checkpoint }));
  const stop = log.onCommitted((event) => {
    if (event.stream === name && event.revision > checkpoint) {
      send(event);
      checkpoint = event.revision;
    }
  });
  call.on('cancelled', stop);
  call.on('close', stop);
}

function subscribeToAll(log: FakeLog, call: ReadCall, options: Options, send: (e: StoredEvent) => void): void {
  const all = options.getAll()!;
  const keep = filterOf(options);
  const filter = options.hasFilter() ? options.getFilter()! : undefined;
  const window = filter?.hasMax() ? filter.getMax() : DEFAULT_WINDOW;
  const checkpointEvery = filter === undefined ? Number.POSITIVE_INFINITY : Math.max(1, filter.getCheckpointintervalmultiplier()) * window;
  const last = log.events[log.events.length - 1]?.position ?? -1n;
  let checkpoint = all.hasPosition() ? BigInt(all.getPosition()!.getCommitPosition()) : all.hasEnd() ? last : -1n;
  let considered = 0;

  const offer = (event: StoredEvent) => {
    if (event.position <= checkpoint) return;
    checkpoint = event.position;
    if (keep(event)) send(event);
    if (++considered % checkpointEvery === 0) call.write(checkpointResp(event.position));
  };

  call.write(confirmationResp(randomUUID()));
  // As KurrentDB: the subscription is confirmed, then its first catch-up read fails.
  if (!hasReadableStart(log, options)) {
    call.emit('error', invalidPosition());
    return;
  }
  log.events.forEach(offer);
  call.write(caughtUpResp({ position: checkpoint }));
  const stop = log.onCommitted(offer);
  call.on('cancelled', stop);
  call.on('close', stop);
}

const invalidPosition = () => grpcError(status.INVALID_ARGUMENT, 'Trying to read from an invalid position.');

/**
 * KurrentDB reads `$all` from byte offsets: a position inside a record is refused, except that a
 * forward read (or subscription) from past the last record simply finds nothing yet.
 */
function hasReadableStart(log: FakeLog, options: Options): boolean {
  if (!options.hasAll() || !options.getAll()!.hasPosition()) return true;
  const position = BigInt(options.getAll()!.getPosition()!.getCommitPosition());
  const forwards = options.getReadDirection() === ReadReq.Options.ReadDirection.FORWARDS;
  const last = log.events[log.events.length - 1]?.position ?? -1n;
  return log.isReadablePosition(position) || (forwards && position > last);
}

/** KurrentDB's server-side filter: on stream name or event type, by regex or by prefixes. */
function filterOf(options: Options): (event: StoredEvent) => boolean {
  if (!options.hasFilter()) return () => true;
  const filter = options.getFilter()!;
  const onType = filter.hasEventType();
  const expression = onType ? filter.getEventType()! : filter.getStreamIdentifier()!;
  const subject = (event: StoredEvent) => (onType ? event.type : event.stream);
  const regex = expression.getRegex();
  if (regex.length > 0) {
    const pattern = new RegExp(regex);
    return (event) => pattern.test(subject(event));
  }
  const prefixes = expression.getPrefixList();
  return (event) => prefixes.some((prefix) => subject(event).startsWith(prefix));
}
