/**
 * What a journaled call (`ctx.run`) threw, as its `CallCompleted` recorded it: the same error on
 * the run that made the call and on every re-run that replays it, so a step that branches on it
 * behaves the same both times. `code` is the original error's string `code` (else
 * `ACTIVITY_ERROR`; `INVALID_OUTPUT` for a result JSON cannot hold), `retryable` its flag. Check
 * with {@link isCallFailed}, not `instanceof`. The original error is the `cause` on the live run only.
 */
export class CallFailedError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** The call's name. */
  readonly call: string;
  /** The step that made the call. */
  readonly step: string;

  constructor(info: { code: string; message: string; retryable: boolean }, where: { step: string; call: string }, cause?: unknown) {
    super(info.message, cause === undefined ? undefined : { cause });
    this.name = 'CallFailedError';
    this.code = info.code;
    this.retryable = info.retryable;
    this.call = where.call;
    this.step = where.step;
  }
}

/** Whether `error` is a {@link CallFailedError} (by name and code, not `instanceof`). */
export const isCallFailed = (error: unknown): error is CallFailedError =>
  typeof error === 'object' &&
  error !== null &&
  (error as { name?: unknown }).name === 'CallFailedError' &&
  typeof (error as { code?: unknown }).code === 'string';

/**
 * Every `JournalError` code: `DUPLICATE_CALL` (a name used twice in one run of a step),
 * `NONDETERMINISM` (a re-run's calls differ from the recorded ones: another name or kind at a
 * recorded position, or recorded calls never made), `INVALID_CALL` (a name that is not a non-empty
 * string), `CALL_NOT_RECORDED` (the workflow no longer accepts the call's outcome — cancelled, timed
 * out — or the store failed to append it; the step ends without an outcome of its own).
 */
export type JournalErrorCode = 'DUPLICATE_CALL' | 'NONDETERMINISM' | 'INVALID_CALL' | 'CALL_NOT_RECORDED';

const JOURNAL_CODES: ReadonlySet<string> = new Set<JournalErrorCode>(['DUPLICATE_CALL', 'NONDETERMINISM', 'INVALID_CALL', 'CALL_NOT_RECORDED']);

/**
 * A step broke the journal's rules, or its call could not be journaled. Thrown into the step by
 * `ctx.run`/`ctx.complete`; the step fails with it (`StepFailed` with its code) even if it catches
 * it, except `CALL_NOT_RECORDED`, which leaves the attempt without an outcome. Never retryable.
 * Check with {@link isJournalError} or the guard of one code.
 */
export class JournalError extends Error {
  readonly code: JournalErrorCode;
  readonly retryable = false;
  readonly step: string;
  readonly call: string;

  constructor(code: JournalErrorCode, message: string, where: { step: string; call: string }, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'JournalError';
    this.code = code;
    this.step = where.step;
    this.call = where.call;
  }
}

/** Whether `error` is a {@link JournalError} of any code (by name and code, not `instanceof`). */
export const isJournalError = (error: unknown): error is JournalError =>
  typeof error === 'object' &&
  error !== null &&
  (error as { name?: unknown }).name === 'JournalError' &&
  JOURNAL_CODES.has((error as { code?: unknown }).code as string);
/** `NONDETERMINISM`: a re-run of a step made other journaled calls than the ones recorded. */
export const isNondeterminism = (error: unknown): error is JournalError => isJournalError(error) && error.code === 'NONDETERMINISM';
/** `DUPLICATE_CALL`: a step used one call name twice in one run. */
export const isDuplicateCall = (error: unknown): error is JournalError => isJournalError(error) && error.code === 'DUPLICATE_CALL';
