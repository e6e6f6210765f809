import { isLlmError, isTaskCancelled } from '../llm/index.js';
import { isCallFailed, isJournalError } from './callErrors.js';

/**
 * Throw from a step (or a `ctx.run` function) to fail it at once: never retried, whatever the
 * retry policy says. `code` is recorded with the error (default `TERMINAL`). After Restate's `TerminalError`.
 */
export class TerminalError extends Error {
  readonly code: string;
  readonly retryable = false;
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TerminalError';
    this.code = options.code ?? 'TERMINAL';
  }
}

/** Throw from a step (or a `ctx.run` function) to have it retried under its retry policy. `code` default `RETRYABLE`. */
export class RetryableError extends Error {
  readonly code: string;
  readonly retryable = true;
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RetryableError';
    this.code = options.code ?? 'RETRYABLE';
  }
}

/** Whether `error` is a {@link TerminalError} (by name and flag, so a copy of this package is recognised too). */
export const isTerminalError = (error: unknown): error is TerminalError => error instanceof Error && error.name === 'TerminalError';
/** Whether `error` is a {@link RetryableError}. */
export const isRetryableError = (error: unknown): error is RetryableError => error instanceof Error && error.name === 'RetryableError';

/** Error codes of a connection or a name lookup that failed or timed out: worth another try. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);
const PROGRAMMING_ERRORS = new Set(['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError', 'EvalError', 'URIError']);

const codeOf = (error: unknown): unknown => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined);

/** A network or timeout error: by its code, its cause's code (a failed `fetch` is a TypeError caused by one), its name, or its message's code. */
function isTransient(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const code = codeOf(error);
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return true;
    const named = /\b(E[A-Z]{4,}|UND_ERR_[A-Z_]+)\b/.exec(error.message)?.[1];
    if (named !== undefined && TRANSIENT_CODES.has(named) && !PROGRAMMING_ERRORS.has(error.name)) return true;
    return isTransient(error.cause, depth + 1);
  }
  return false;
}

/**
 * Whether a step's (or a `ctx.run` function's) error is worth another attempt: a RetryableError,
 * an error flagged `retryable: true`, or a network or timeout error; never a TerminalError, a
 * cancellation, a model call's LlmError (the provider's policy retried it), a child workflow's
 * error (a re-run replays it) or another programming error. A journaled call's `CallFailedError`
 * is not judged here: the journal says whether the step failed on a call that a retry makes again
 * (`CallJournal.retriesCall`); any other recorded failure would only be replayed.
 */
export function shouldRetry(error: unknown): boolean {
  if (isTerminalError(error) || isTaskCancelled(error) || isLlmError(error) || isCallFailed(error) || isJournalError(error)) return false;
  // A child workflow's failure is recorded by its journaled call: another attempt would only replay it.
  if (codeOf(error) === 'CHILD_FAILED') return false;
  if (isRetryableError(error)) return true;
  if (typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true) return true;
  return isTransient(error);
}

export { backoffMs, resolveRetry, retryAtAfter } from '../machines/index.js';
export type { ResolvedRetry } from '../machines/index.js';
