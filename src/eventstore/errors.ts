import type { ExpectedRevision } from './types.js';

/** Every `EventStoreError` code; each has an `isX` guard. */
export type EventStoreErrorCode =
  | 'WRONG_EXPECTED_REVISION'
  | 'INVALID_STREAM_NAME'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_EVENT_DATA'
  | 'INVALID_STORE_URL'
  | 'STORE_UNAVAILABLE'
  | 'STORE_CLOSED'
  | 'LEASE_LOST';

/** Base of every error the store port raises. Check with the `isX` guards, not `instanceof`. */
export class EventStoreError extends Error {
  readonly code: EventStoreErrorCode;
  /** True when trying the same operation again later may succeed. */
  readonly retryable: boolean;

  constructor(code: EventStoreErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EventStoreError';
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}

export class WrongExpectedRevisionError extends EventStoreError {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  /** Revision of the stream's last event, or `no_stream`. */
  readonly actual: number | 'no_stream';

  constructor(stream: string, expected: ExpectedRevision, actual: number | 'no_stream') {
    super('WRONG_EXPECTED_REVISION', `Append to "${stream}" expected revision ${String(expected)} but the stream is at ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
    this.stream = stream;
    this.expected = expected;
    this.actual = actual;
  }
}

/** `PAYLOAD_TOO_LARGE` from the store's own check, with the sizes it compared. */
export class PayloadTooLargeError extends EventStoreError {
  /** UTF-8 bytes of the append (types, data and metadata), and the store's limit for one append. */
  readonly bytes: number;
  readonly limit: number;

  constructor(stream: string, bytes: number, limit: number) {
    super('PAYLOAD_TOO_LARGE', `Append to "${stream}" is ${bytes} bytes, over the limit of ${limit} bytes`);
    this.name = 'PayloadTooLargeError';
    this.bytes = bytes;
    this.limit = limit;
  }
}

const hasCode = (error: unknown, code: EventStoreErrorCode): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;

const CODES: ReadonlySet<string> = new Set<EventStoreErrorCode>([
  'WRONG_EXPECTED_REVISION',
  'INVALID_STREAM_NAME',
  'PAYLOAD_TOO_LARGE',
  'INVALID_EVENT_DATA',
  'INVALID_STORE_URL',
  'STORE_UNAVAILABLE',
  'STORE_CLOSED',
  'LEASE_LOST',
]);

/** Whether `error` is an {@link EventStoreError} of any code (by its code, not `instanceof`). */
export const isEventStoreError = (error: unknown): error is EventStoreError =>
  typeof error === 'object' && error !== null && CODES.has((error as { code?: unknown }).code as string);
/** `WRONG_EXPECTED_REVISION`: another writer appended first; read again, decide again. The error carries `stream`, `expected` and `actual`. */
export const isWrongExpectedRevision = (error: unknown): error is WrongExpectedRevisionError => hasCode(error, 'WRONG_EXPECTED_REVISION');
/** `INVALID_STREAM_NAME`: empty, too long, `$`-prefixed, control characters or surrounding white space. */
export const isInvalidStreamName = (error: unknown): error is EventStoreError => hasCode(error, 'INVALID_STREAM_NAME');
/** `PAYLOAD_TOO_LARGE`: an append over the store's byte limit (default 1 MiB). */
export const isPayloadTooLarge = (error: unknown): error is EventStoreError => hasCode(error, 'PAYLOAD_TOO_LARGE');
/** `INVALID_EVENT_DATA`: data or metadata that is not plain JSON, an id that is not a UUID, an empty append, a bad expected revision. */
export const isInvalidEventData = (error: unknown): error is EventStoreError => hasCode(error, 'INVALID_EVENT_DATA');
/** `INVALID_STORE_URL`: `openEventStore` cannot open what the URL names (scheme, path, connection string, a file of a newer schema). */
export const isInvalidStoreUrl = (error: unknown): error is EventStoreError => hasCode(error, 'INVALID_STORE_URL');
/** `STORE_UNAVAILABLE`: the database failed or cannot be reached; `retryable` says whether trying again later may succeed. */
export const isStoreUnavailable = (error: unknown): error is EventStoreError => hasCode(error, 'STORE_UNAVAILABLE');
/** `STORE_CLOSED`: the store was closed. */
export const isStoreClosed = (error: unknown): error is EventStoreError => hasCode(error, 'STORE_CLOSED');
/** `LEASE_LOST`: the append's `fence` no longer holds (another worker took the partition); nothing was written. Stop driving its workflows. */
export const isLeaseLost = (error: unknown): error is EventStoreError => hasCode(error, 'LEASE_LOST');

/** The error a fenced append fails with when its partition's lease moved on. */
export const leaseLostError = (stream: string, fence: { partition: number; owner: string; epoch: number }, holder: string): EventStoreError =>
  new EventStoreError(
    'LEASE_LOST',
    `Append to "${stream}" refused: partition ${fence.partition} is no longer leased to ${fence.owner} (epoch ${fence.epoch}); it is ${holder}`,
  );
