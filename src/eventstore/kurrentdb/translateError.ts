import { TaskCancelledError } from 'cockatiel';
import { ErrorType } from '@kurrent/kurrentdb-client';
import { EventStoreError, WrongExpectedRevisionError, isEventStoreError } from '../errors.js';
import type { ExpectedRevision } from '../types.js';
import { isInvalidPosition } from './readablePositions.js';

export interface ErrorContext {
  /** What was being done, for the message: `append to "x"`, `read "$all"`… */
  operation: string;
  /** Where the store points (redacted), so an outage names the server. */
  where: string;
  /** The append's stream and expectation, to build the conflict error from our own terms. */
  stream?: string;
  expected?: ExpectedRevision;
  /** How long the operation was allowed to take, for timeout messages. */
  timeoutMs?: number;
}

const errorType = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string' ? (error as { type: string }).type : undefined;

// cockatiel 3.2.1's own `isTaskCancelledError` tests for the wrong marker property, so check the class.
export const isTimeout = (error: unknown): error is TaskCancelledError => error instanceof TaskCancelledError;

// Errors from the client's read path carry only their class name as message; say what it means.
const BARE_MESSAGES: Readonly<Record<string, string>> = {
  UnavailableError: 'the server is unavailable (connection refused, reset or not yet established)',
  DeadlineExceededError: 'the server did not answer before the deadline',
  NotLeaderError: 'the node is not the leader',
};

export const describeError = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error);
  return BARE_MESSAGES[message] ?? message;
};

const unavailable = (context: ErrorContext, reason: string, cause: unknown, retryable = true) =>
  new EventStoreError('STORE_UNAVAILABLE', `Cannot ${context.operation} on KurrentDB at ${context.where}: ${reason}`, { cause, retryable });

/**
 * Translates whatever the KurrentDB client throws into the port's errors, so nothing outside
 * this folder sees a vendor error. A transport failure during an append leaves its outcome
 * unknown: it is reported as a retryable STORE_UNAVAILABLE, and retrying with the same event ids
 * and expected revision is safe because KurrentDB treats the repeat as idempotent.
 */
export function translateError(error: unknown, context: ErrorContext): EventStoreError {
  if (isEventStoreError(error)) return error;
  if (isInvalidPosition(error)) {
    return unavailable(context, `${describeError(error)} (not the position of a record in the log)`, error, false);
  }
  if (isTimeout(error)) {
    return unavailable(context, `no answer within ${context.timeoutMs ?? '?'} ms (an append may or may not have been written; retry with the same ids)`, error);
  }
  switch (errorType(error)) {
    case ErrorType.WRONG_EXPECTED_VERSION: {
      const actual = (error as { actualState?: bigint | string }).actualState;
      return Object.assign(
        new WrongExpectedRevisionError(context.stream ?? '', context.expected ?? 'any', typeof actual === 'bigint' ? Number(actual) : 'no_stream'),
        { cause: error },
      );
    }
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED:
    case ErrorType.APPEND_RECORD_SIZE_EXCEEDED:
    case ErrorType.TRANSACTION_MAX_SIZE_EXCEEDED:
      return new EventStoreError('PAYLOAD_TOO_LARGE', `KurrentDB refused to ${context.operation}: ${describeError(error)}`, { cause: error });
    case ErrorType.STREAM_DELETED:
    case ErrorType.STREAM_TOMBSTONED:
      return new EventStoreError('INVALID_STREAM_NAME', `Cannot ${context.operation}: the stream was deleted in KurrentDB`, { cause: error });
    case ErrorType.INVALID_ARGUMENT:
      return new EventStoreError('INVALID_EVENT_DATA', `KurrentDB refused to ${context.operation}: ${describeError(error)}`, { cause: error });
    case ErrorType.ACCESS_DENIED:
      return unavailable(context, `access denied (${describeError(error)}); check the credentials in the store URL`, error, false);
    case ErrorType.UNAVAILABLE:
    case ErrorType.DEADLINE_EXCEEDED:
    case ErrorType.TIMEOUT:
    case ErrorType.CANCELLED:
    case ErrorType.NOT_LEADER:
      return unavailable(context, describeError(error), error);
    default:
      // Connection resets on streaming calls surface as Unknown; the outcome is unknown, so retryable.
      return unavailable(context, describeError(error), error);
  }
}
