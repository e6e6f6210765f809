import { AsyncLocalStorage } from 'node:async_hooks';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  retry,
  timeout,
  wrap,
  type IRetryBackoffContext,
} from 'cockatiel';
import type { Logger } from 'winston';
import { LlmError, isLlmError, isRetryableLlmError } from './errors.js';
import { cancelledError } from './emitDeltas.js';
import { isTaskCancelled } from './isTaskCancelled.js';
import type { LlmCallContext } from './types.js';

export const DEFAULT_TIMEOUT_MS = 600_000;

export interface LlmPolicyOptions {
  /** Concurrent calls per provider (bulkhead). Default 8. */
  concurrency?: number;
  /** Calls waiting for a slot before new ones are rejected with BULKHEAD_FULL. Default 256. */
  queue?: number;
  /** Retries after the first attempt, for retryable errors only. Default 4. */
  maxRetries?: number;
  /** First backoff delay; doubles per retry, with jitter. Default 500 ms. */
  initialDelayMs?: number;
  /** Cap of the exponential delay. Default 30 s. */
  maxDelayMs?: number;
  /** Cap on how long a server's `retry-after` is honoured. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Consecutive failed attempts that open the breaker. Default 5. */
  breakerThreshold?: number;
  /** How long the breaker stays open before one probe call is let through. Default 30 s. */
  halfOpenAfterMs?: number;
  /** Per-attempt timeout; its AbortSignal reaches the HTTP request. Default 10 min. */
  timeoutMs?: number;
  /** Jitter source, in [0, 1). */
  random?: () => number;
  logger?: Logger;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

export interface LlmPolicyStats {
  breaker: BreakerState;
  calls: number;
  succeeded: number;
  failed: number;
  attempts: number;
  retries: number;
  timeouts: number;
  breakerOpened: number;
  breakerHalfOpened: number;
  breakerClosed: number;
  rejectedByBreaker: number;
  rejectedByBulkhead: number;
  inFlight: number;
  queued: number;
}

export interface LlmPolicy {
  /**
   * Runs `attempt` under bulkhead → retry → circuit breaker → timeout. `attempt` gets a signal that
   * aborts on the per-attempt timeout or the caller's signal, and must pass it to the request.
   * The caller's abort rejects at once with CANCELLED; nothing is retried after it.
   */
  run<T>(
    context: LlmCallContext,
    signal: AbortSignal | undefined,
    attempt: (signal: AbortSignal, attemptNo: number) => Promise<T>,
  ): Promise<{ value: T; attempts: number }>;
  stats(): LlmPolicyStats;
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** Composed once per provider: every call of the provider shares the breaker, the bulkhead and the counters. */
export function createLlmPolicy(options: LlmPolicyOptions = {}): LlmPolicy {
  const { logger } = options;
  const random = options.random ?? Math.random;
  const initialDelayMs = options.initialDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const counters = {
    calls: 0,
    succeeded: 0,
    failed: 0,
    attempts: 0,
    retries: 0,
    timeouts: 0,
    breakerOpened: 0,
    breakerHalfOpened: 0,
    breakerClosed: 0,
    rejectedByBreaker: 0,
    rejectedByBulkhead: 0,
  };
  // The policy is shared, so its events carry no call; each call runs in its own async context, which the events inherit.
  const calls = new AsyncLocalStorage<CallTrace>();
  const fields = (trace: CallTrace | undefined) => ({
    workflowId: trace?.context.workflowId,
    step: trace?.context.step,
    iteration: trace?.context.iteration,
    attempt: trace?.attempt,
  });

  const transient = handleWhen((error) => isRetryableLlmError(error) || isBrokenCircuitError(error));
  const backoff = new DelegateBackoff<IRetryBackoffContext<unknown>>(({ attempt, result }) => {
    const exponential = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
    const jittered = exponential / 2 + (random() * exponential) / 2;
    const hint = 'error' in result && isLlmError(result.error) ? result.error.retryAfterMs : undefined;
    return hint === undefined ? jittered : Math.max(jittered, Math.min(hint, maxRetryAfterMs));
  });
  const limiter = bulkhead(options.concurrency ?? 8, options.queue ?? 256);
  const retrier = retry(transient, { maxAttempts: options.maxRetries ?? 4, backoff });
  const breaker = circuitBreaker(handleWhen(isRetryableLlmError), {
    halfOpenAfter: options.halfOpenAfterMs ?? 30_000,
    breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
  });
  const perAttempt = timeout(timeoutMs, TimeoutStrategy.Cooperative);
  const policy = wrap(limiter, retrier, breaker, perAttempt);

  retrier.onRetry((event) => {
    counters.retries++;
    const error = 'error' in event ? event.error : undefined;
    if (isBrokenCircuitError(error)) counters.rejectedByBreaker++;
    const code = isLlmError(error) ? error.code : isBrokenCircuitError(error) ? 'CIRCUIT_OPEN' : 'UNKNOWN';
    logger?.warn('LLM call failed, retrying', { ...fields(calls.getStore()), code, delayMs: Math.round(event.delay), breaker: STATE_NAMES[breaker.state] });
  });
  breaker.onBreak(() => {
    counters.breakerOpened++;
    const trace = calls.getStore();
    logger?.warn('LLM circuit breaker opened', { breaker: 'open', ...fields(trace), code: trace?.code });
  });
  breaker.onHalfOpen(() => {
    counters.breakerHalfOpened++;
    logger?.info('LLM circuit breaker half-open: probing with one call', { breaker: 'half-open', ...fields(calls.getStore()) });
  });
  breaker.onReset(() => {
    counters.breakerClosed++;
    logger?.info('LLM circuit breaker closed', { breaker: 'closed', ...fields(calls.getStore()) });
  });
  perAttempt.onTimeout(() => counters.timeouts++);

  const translate = (error: unknown, callerSignal: AbortSignal | undefined): unknown => {
    if (callerSignal?.aborted === true) return isLlmError(error) && error.code === 'CANCELLED' ? error : cancelledError(error);
    if (isLlmError(error)) return error;
    if (error instanceof BrokenCircuitError || isBrokenCircuitError(error)) {
      counters.rejectedByBreaker++;
      return new LlmError('CIRCUIT_OPEN', 'The model provider is failing repeatedly; calls are paused (circuit breaker open). Try again shortly.', {
        cause: error,
      });
    }
    if (error instanceof BulkheadRejectedError || isBulkheadRejectedError(error)) {
      counters.rejectedByBulkhead++;
      return new LlmError('BULKHEAD_FULL', 'Too many model calls are waiting; this one was rejected. Try again shortly.', { cause: error });
    }
    if (isTaskCancelled(error)) return cancelledError(error);
    return error;
  };

  return {
    async run(context, signal, attempt) {
      if (isAborted(signal)) throw cancelledError(signal?.reason);
      counters.calls++;
      let attempts = 0;
      const trace: CallTrace = { context, attempt: 0 };
      // A per-call signal even without a caller's (below): cockatiel's shared default signal would collect a listener per in-flight call.
      const execution = calls.run(trace, () =>
        policy.execute(async ({ signal: attemptSignal }) => {
          if (isAborted(signal)) throw cancelledError(signal?.reason);
          attempts++;
          counters.attempts++;
          const attemptNo = attempts;
          trace.attempt = attemptNo;
          try {
            return await attempt(attemptSignal, attemptNo);
          } catch (error) {
            let classified = error;
            if (isAborted(signal)) classified = cancelledError(signal?.reason);
            else if (attemptSignal.aborted && !(isLlmError(error) && error.code !== 'CANCELLED'))
              classified = new LlmError('TIMEOUT', `The model did not answer within ${timeoutMs} ms.`, { cause: error });
            if (isLlmError(classified)) trace.code = classified.code;
            throw classified;
          }
        }, signal ?? new AbortController().signal),
      );
      try {
        const value = await raceAbort(execution, signal);
        counters.succeeded++;
        return { value, attempts };
      } catch (error) {
        counters.failed++;
        throw translate(error, signal);
      }
    },
    stats: () => ({
      ...counters,
      breaker: STATE_NAMES[breaker.state],
      inFlight: (options.concurrency ?? 8) - limiter.executionSlots,
      queued: (options.queue ?? 256) - limiter.queueSlots,
    }),
  };
}

interface CallTrace {
  context: LlmCallContext;
  attempt: number;
  code?: string;
}

const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

/** Rejects as soon as the caller aborts, even while the retry policy is sleeping between attempts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError(signal.reason));
    // Always settle through `promise` too, so its later rejection is never unhandled.
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
