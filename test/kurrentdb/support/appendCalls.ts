/**
 * `Streams/BatchAppend` (one long-lived bidi stream carrying many appends, each keyed by a
 * correlation id, results as `google.rpc.Status` on error) and `Streams/Append` (one
 * client-streaming call per append, conflicts as the `wrong_expected_version` result) of the gRPC
 * test server, after KurrentDB's Streams.BatchAppend.cs and Streams.Append.cs.
 */
import { status, type sendUnaryData, type ServerDuplexStream, type ServerReadableStream } from '@grpc/grpc-js';
import type { AppendOutcome, Expected, FakeLog, ProposedEvent } from './fakeLog.js';
import {
  allStreamPosition,
  badRequestStatus,
  grpcError,
  maximumAppendSizeStatus,
  parseUuid,
  proposedEvent,
  streamIdentifier,
  streamNameOf,
  timeoutStatus,
  wrongExpectedVersionStatus,
} from './messages.js';
import {
  AppendResp,
  BatchAppendResp,
  Empty,
  type AppendReqMessage,
  type AppendRespMessage,
  type BatchAppendReqMessage,
  type BatchAppendRespMessage,
  type StatusMessage,
} from './protocol.js';

/** What the test server does with the next append: normal, answer a Timeout, or never answer (before or after committing). */
export type AppendFault = 'none' | 'timeout' | 'stall' | 'commit_then_stall';

export interface AppendHooks {
  nextFault(): AppendFault;
  /** KurrentDB's write timeout: a stalled, uncommitted append is answered with Timeout after this long. */
  writeTimeoutMs: number;
}

interface PendingBatch {
  stream: string;
  expected: Expected;
  events: ProposedEvent[];
  deadline: number;
}

export function createBatchAppendHandler(log: FakeLog, hooks: AppendHooks) {
  return (call: ServerDuplexStream<BatchAppendReqMessage, BatchAppendRespMessage>): void => {
    const pending = new Map<string, PendingBatch>();
    const timers = new Set<NodeJS.Timeout>();
    const stopTimers = () => timers.forEach(clearTimeout);
    call.on('cancelled', stopTimers);
    call.on('close', stopTimers);
    call.on('error', stopTimers);
    call.on('end', () => call.end());

    call.on('data', (request: BatchAppendReqMessage) => {
      const correlationId = request.getCorrelationId();
      const key = parseUuid(correlationId) ?? '';
      const respond = (stream: string, result: { success?: AppendOutcome & { kind: 'success' }; error?: StatusMessage }) => {
        const response = new BatchAppendResp().setCorrelationId(correlationId).setStreamIdentifier(streamIdentifier(stream));
        if (result.error !== undefined) response.setError(result.error);
        if (result.success !== undefined) {
          response.setSuccess(
            new BatchAppendResp.Success().setCurrentRevision(result.success.revision.toString()).setPosition(allStreamPosition(result.success.position)),
          );
        }
        call.write(response);
      };

      const options = request.getOptions();
      if (options !== undefined) {
        if (!options.hasStreamIdentifier()) {
          respond('', { error: badRequestStatus('Required field StreamIdentifier not set.') });
          return;
        }
        const deadline = options.hasDeadline()
          ? Date.now() + options.getDeadline()!.getSeconds() * 1000 + options.getDeadline()!.getNanos() / 1e6
          : (options.getDeadline21100()?.toDate().getTime() ?? Number.POSITIVE_INFINITY);
        const expected: Expected = options.hasStreamPosition()
          ? { kind: 'revision', revision: BigInt(options.getStreamPosition()) }
          : options.hasNoStream()
            ? { kind: 'no_stream' }
            : options.hasStreamExists()
              ? { kind: 'stream_exists' }
              : { kind: 'any' };
        if (!pending.has(key)) pending.set(key, { stream: streamNameOf(options.getStreamIdentifier()), expected, events: [], deadline });
      }
      const batch = pending.get(key);
      if (batch === undefined) return;
      for (const message of request.getProposedMessagesList()) {
        const event = proposedEvent(message);
        if (typeof event === 'string') {
          pending.delete(key);
          respond(batch.stream, { error: badRequestStatus(event) });
          return;
        }
        batch.events.push(event);
      }
      if (!request.getIsFinal()) return;
      pending.delete(key);

      const timeout = Math.min(batch.deadline - Date.now(), hooks.writeTimeoutMs);
      if (timeout <= 0) {
        respond(batch.stream, { error: timeoutStatus() });
        return;
      }
      const fault = hooks.nextFault();
      if (fault === 'timeout') return respond(batch.stream, { error: timeoutStatus() });
      if (fault === 'stall') {
        const timer = setTimeout(() => respond(batch.stream, { error: timeoutStatus() }), timeout);
        timers.add(timer);
        return;
      }
      const outcome = log.append(batch.stream, batch.expected, batch.events);
      if (fault === 'commit_then_stall') return;
      if (outcome.kind === 'success') respond(batch.stream, { success: outcome });
      else if (outcome.kind === 'too_large') respond(batch.stream, { error: maximumAppendSizeStatus(outcome.maxAppendSize) });
      else respond(batch.stream, { error: wrongExpectedVersionStatus(outcome.current, outcome.expected) });
    });
  };
}

export function createAppendHandler(log: FakeLog, hooks: AppendHooks) {
  return (call: ServerReadableStream<AppendReqMessage, AppendRespMessage>, callback: sendUnaryData<AppendRespMessage>): void => {
    let stream: string | undefined;
    let expected: Expected = { kind: 'any' };
    const events: ProposedEvent[] = [];
    let invalid: string | undefined;

    call.on('data', (request: AppendReqMessage) => {
      const options = request.getOptions();
      if (options !== undefined) {
        stream = streamNameOf(options.getStreamIdentifier());
        expected = options.hasRevision()
          ? { kind: 'revision', revision: BigInt(options.getRevision()) }
          : options.hasNoStream()
            ? { kind: 'no_stream' }
            : options.hasStreamExists()
              ? { kind: 'stream_exists' }
              : { kind: 'any' };
        return;
      }
      const message = request.getProposedMessage();
      if (message === undefined) return;
      const event = proposedEvent(message);
      if (typeof event === 'string') invalid ??= event;
      else events.push(event);
    });

    call.on('end', () => {
      if (stream === undefined) return callback(grpcError(status.INVALID_ARGUMENT, 'Options must come first'));
      if (invalid !== undefined) return callback(grpcError(status.INVALID_ARGUMENT, invalid));
      const fault = hooks.nextFault();
      if (fault === 'timeout') return callback(grpcError(status.DEADLINE_EXCEEDED, 'Timeout'));
      if (fault === 'stall') return;
      const outcome = log.append(stream, expected, events);
      if (fault === 'commit_then_stall') return;
      if (outcome.kind === 'too_large') {
        return callback(
          grpcError(status.INVALID_ARGUMENT, `Maximum Append Size of ${outcome.maxAppendSize} Exceeded.`, {
            exception: 'maximum-append-size-exceeded',
            'maximum-append-size': String(outcome.maxAppendSize),
          }),
        );
      }
      callback(null, outcome.kind === 'success' ? successResp(outcome) : wrongExpectedVersionResp(outcome.current, outcome.expected));
    });
  };
}

function successResp(outcome: AppendOutcome & { kind: 'success' }): AppendRespMessage {
  const position = new AppendResp.Position().setCommitPosition(outcome.position.toString()).setPreparePosition(outcome.position.toString());
  return new AppendResp().setSuccess(new AppendResp.Success().setCurrentRevision(outcome.revision.toString()).setPosition(position));
}

function wrongExpectedVersionResp(current: bigint | undefined, expected: Expected): AppendRespMessage {
  const wrong = new AppendResp.WrongExpectedVersion();
  if (current === undefined) wrong.setCurrentNoStream(new Empty());
  else wrong.setCurrentRevision(current.toString());
  if (expected.kind === 'revision') wrong.setExpectedRevision(expected.revision.toString());
  else if (expected.kind === 'no_stream') wrong.setExpectedNoStream(new Empty());
  else if (expected.kind === 'stream_exists') wrong.setExpectedStreamExists(new Empty());
  else wrong.setExpectedAny(new Empty());
  return new AppendResp().setWrongExpectedVersion(wrong);
}

export const unimplemented = (_call: unknown, callback?: sendUnaryData<never>) => {
  const error = grpcError(status.UNIMPLEMENTED, 'Method not listed by this server');
  if (callback !== undefined) callback(error);
  else (_call as { emit(event: string, error: Error): void }).emit('error', error);
};
