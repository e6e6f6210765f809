import type { LlmAccounting } from './types.js';

/**
 * Every `LlmError` code. Retryable (the provider's policy retries them): `RATE_LIMITED`,
 * `OVERLOADED`, `SERVER_ERROR`, `CONNECTION`, `TIMEOUT`, `CIRCUIT_OPEN`, `BULKHEAD_FULL`. Terminal:
 * the rest.
 */
export type LlmErrorCode =
  | 'RATE_LIMITED'
  | 'OVERLOADED'
  | 'SERVER_ERROR'
  | 'CONNECTION'
  | 'TIMEOUT'
  | 'AUTHENTICATION'
  | 'PERMISSION'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'REQUEST_TOO_LARGE'
  | 'INVALID_OUTPUT'
  | 'CANCELLED'
  | 'CIRCUIT_OPEN'
  | 'BULKHEAD_FULL'
  | 'SCRIPT_EXHAUSTED'
  /** A provider spec, script file or option is invalid: nothing was called. */
  | 'CONFIG';

const RETRYABLE: ReadonlySet<LlmErrorCode> = new Set(['RATE_LIMITED', 'OVERLOADED', 'SERVER_ERROR', 'CONNECTION', 'TIMEOUT', 'CIRCUIT_OPEN', 'BULKHEAD_FULL']);

/**
 * Every error the LLM port raises; SDK errors are translated into this at the adapter. `retryable`
 * follows from the code. Check with {@link isLlmError}, not `instanceof`. From a step, it means
 * the provider has already retried: the engine records it as the step's failure and does not retry.
 */
export class LlmError extends Error {
  readonly code: LlmErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  /** Server's retry-after hint, in milliseconds. */
  readonly retryAfterMs?: number;
  /** Tokens and cost already spent when the call failed (e.g. invalid outputs), for the audit trail. */
  readonly accounting?: LlmAccounting;

  constructor(code: LlmErrorCode, message: string, options?: { cause?: unknown; status?: number; retryAfterMs?: number; accounting?: LlmAccounting }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmError';
    this.code = code;
    this.retryable = RETRYABLE.has(code);
    if (options?.status !== undefined) this.status = options.status;
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options?.accounting !== undefined) this.accounting = options.accounting;
  }
}

/** Whether `error` is an {@link LlmError} (by name and code, not `instanceof`). */
export const isLlmError = (error: unknown): error is LlmError =>
  typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'LlmError' && typeof (error as { code?: unknown }).code === 'string';
/** An `LlmError` whose code is transient (see {@link LlmErrorCode}). */
export const isRetryableLlmError = (error: unknown): boolean => isLlmError(error) && error.retryable;
/** An `LlmError` `CANCELLED`: the call's signal aborted (CANCEL, a step timeout, shutdown). */
export const isCancelled = (error: unknown): boolean => isLlmError(error) && error.code === 'CANCELLED';
