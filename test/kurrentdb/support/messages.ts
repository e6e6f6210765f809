/** Builds and parses the protobuf messages of KurrentDB's v1 protocol for the gRPC test server. */
import { Metadata } from '@grpc/grpc-js';
import type { Expected, ProposedEvent, StoredEvent } from './fakeLog.js';
import {
  AllStreamPosition,
  Any,
  BadRequest,
  Code,
  GoogleEmpty,
  MaximumAppendSizeExceeded,
  ReadResp,
  Status,
  StreamIdentifier,
  Timeout,
  Timestamp,
  UUID,
  WrongExpectedVersion,
  type StatusMessage,
  type UUIDMessage,
} from './protocol.js';

const U64 = (1n << 64n) - 1n;

/** An error a grpc-js server handler emits to end its call with this status (and trailers). */
export function grpcError(code: number, details: string, trailers: Record<string, string> = {}) {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

export function parseUuid(uuid: UUIDMessage | undefined): string | undefined {
  if (uuid === undefined) return undefined;
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    const ms = (BigInt(structured.getMostSignificantBits()) & U64).toString(16).padStart(16, '0');
    const ls = (BigInt(structured.getLeastSignificantBits()) & U64).toString(16).padStart(16, '0');
    return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-${ms.slice(12)}-${ls.slice(0, 4)}-${ls.slice(4)}`;
  }
  return uuid.getString().toLowerCase();
}

export function uuidMessage(id: string, structured: boolean): UUIDMessage {
  const uuid = new UUID();
  if (!structured) return uuid.setString(id);
  const hex = id.replaceAll('-', '');
  const signed = (value: bigint) => BigInt.asIntN(64, value).toString();
  const parts = new UUID.Structured()
    .setMostSignificantBits(signed(BigInt(`0x${hex.slice(0, 16)}`)))
    .setLeastSignificantBits(signed(BigInt(`0x${hex.slice(16)}`)));
  return uuid.setStructured(parts);
}

export const streamIdentifier = (name: string) => new StreamIdentifier().setStreamName(Buffer.from(name, 'utf8'));

export const streamNameOf = (identifier: InstanceType<typeof StreamIdentifier> | undefined): string =>
  Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');

/** A proposed message as KurrentDB reads it: `type` and `content-type` are required metadata keys. */
export function proposedEvent(message: {
  getId(): UUIDMessage | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}): ProposedEvent | string {
  const id = parseUuid(message.getId());
  const type = message.getMetadataMap().get('type');
  const contentType = message.getMetadataMap().get('content-type');
  if (id === undefined) return 'Required field Id not set.';
  if (type === undefined) return 'Required metadata property type is missing.';
  if (contentType === undefined) return 'Required metadata property content-type is missing.';
  return { id, type, contentType, data: message.getData_asU8(), metadata: message.getCustomMetadata_asU8() };
}

export function readEventResp(event: StoredEvent, structuredIds: boolean) {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(uuidMessage(event.id, structuredIds))
    .setStreamIdentifier(streamIdentifier(event.stream))
    .setStreamRevision(event.revision.toString())
    .setCommitPosition(event.position.toString())
    .setPreparePosition(event.position.toString())
    .setData(event.data)
    .setCustomMetadata(event.metadata);
  const metadata = recorded.getMetadataMap();
  metadata.set('type', event.type);
  metadata.set('created', event.createdTicks.toString());
  metadata.set('content-type', event.contentType === 'application/json' ? 'application/json' : 'application/octet-stream');
  const readEvent = new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(event.position.toString());
  return new ReadResp().setEvent(readEvent);
}

const now = () => Timestamp.fromDate(new Date());

export const confirmationResp = (subscriptionId: string) =>
  new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId(subscriptionId));

export function caughtUpResp(checkpoint: { revision?: bigint; position?: bigint }) {
  const caughtUp = new ReadResp.CaughtUp().setTimestamp(now());
  if (checkpoint.revision !== undefined && checkpoint.revision >= 0n) caughtUp.setStreamRevision(checkpoint.revision.toString());
  if (checkpoint.position !== undefined && checkpoint.position >= 0n) {
    caughtUp.setPosition(new ReadResp.Position().setCommitPosition(checkpoint.position.toString()).setPreparePosition(checkpoint.position.toString()));
  }
  return new ReadResp().setCaughtUp(caughtUp);
}

export const checkpointResp = (position: bigint) =>
  new ReadResp().setCheckpoint(new ReadResp.Checkpoint().setCommitPosition(position.toString()).setPreparePosition(position.toString()).setTimestamp(now()));

export const streamNotFoundResp = (stream: string) =>
  new ReadResp().setStreamNotFound(new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(stream)));

export const lastStreamPositionResp = (revision: bigint) => new ReadResp().setLastStreamPosition(revision.toString());

export const allStreamPosition = (position: bigint) => new AllStreamPosition().setCommitPosition(position.toString()).setPreparePosition(position.toString());

function packed(code: number, message: string, details: { serializeBinary(): Uint8Array }, typeName: string): StatusMessage {
  const any = new Any();
  any.pack(details.serializeBinary(), typeName);
  return new Status().setCode(code).setMessage(message).setDetails(any);
}

/** KurrentDB's `Status.WrongExpectedVersion`: code ALREADY_EXISTS, details packing `event_store.client.WrongExpectedVersion`. */
export function wrongExpectedVersionStatus(current: bigint | undefined, expected: Expected): StatusMessage {
  const details = new WrongExpectedVersion();
  if (current === undefined) details.setCurrentNoStream(new GoogleEmpty());
  else details.setCurrentStreamRevision(current.toString());
  switch (expected.kind) {
    case 'any':
      details.setExpectedAny(new GoogleEmpty());
      break;
    case 'no_stream':
      details.setExpectedNoStream(new GoogleEmpty());
      break;
    case 'stream_exists':
      details.setExpectedStreamExists(new GoogleEmpty());
      break;
    case 'revision':
      details.setExpectedStreamPosition(expected.revision.toString());
  }
  return packed(Code.ALREADY_EXISTS, 'WrongExpectedVersion', details, 'event_store.client.WrongExpectedVersion');
}

export const timeoutStatus = (): StatusMessage => packed(Code.DEADLINE_EXCEEDED, 'Timeout', new Timeout(), 'event_store.client.Timeout');

export const maximumAppendSizeStatus = (max: number): StatusMessage =>
  packed(
    Code.INVALID_ARGUMENT,
    'MaximumAppendSizeExceeded',
    new MaximumAppendSizeExceeded().setMaxappendsize(max),
    'event_store.client.MaximumAppendSizeExceeded',
  );

export const badRequestStatus = (message: string): StatusMessage =>
  packed(Code.INVALID_ARGUMENT, 'BadRequest', new BadRequest().setMessage(message), 'event_store.client.BadRequest');
