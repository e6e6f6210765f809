/** A retry policy's numbers (`RetryPolicy`, `RetryOptions`), any of them left out. */
export interface RetryNumbers {
  maxAttempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** A retry policy with its defaults filled in. */
export interface ResolvedRetry {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * The step's own policy over the engine's, field by field, over the defaults: 3 attempts, 200 ms
 * doubling, at most 5 s. No delay is shorter than the first: a step's `initialDelayMs: 10_000` on
 * an engine whose `maxDelayMs` is 1,000 waits 10 s, not 1.
 */
export function resolveRetry(policy: RetryNumbers | undefined, fallback?: RetryNumbers): ResolvedRetry {
  const pick = <K extends keyof RetryNumbers>(key: K): number | undefined => policy?.[key] ?? fallback?.[key];
  const initialDelayMs = Math.max(0, pick('initialDelayMs') ?? 200);
  return {
    maxAttempts: Math.max(1, Math.floor(pick('maxAttempts') ?? 3)),
    initialDelayMs,
    maxDelayMs: Math.max(initialDelayMs, pick('maxDelayMs') ?? 5_000),
  };
}

/** The delay before attempt `attempt + 1`, after attempt `attempt` failed: doubling from the first, capped. */
export const backoffMs = (retry: ResolvedRetry, attempt: number): number => Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** Math.max(0, attempt - 1));

/** When attempt `attempt + 1` runs (ISO), after attempt `attempt` failed at `now`; undefined when the policy allows no more. */
export function retryAtAfter(retry: ResolvedRetry, attempt: number, now: number): string | undefined {
  return attempt < retry.maxAttempts ? new Date(now + backoffMs(retry, attempt)).toISOString() : undefined;
}

/**
 * When a step whose attempt `attempt` timed out at `now` runs again: with `onTimeout: 'retry'`, under
 * its retry policy (over `fallback`, the engine's); otherwise, or past the policy's attempts, never.
 */
export function timeoutRetryAt(
  step: { onTimeout?: 'fail' | 'retry'; retry?: RetryNumbers } | undefined,
  fallback: RetryNumbers | undefined,
  attempt: number,
  now: number,
): string | undefined {
  return step?.onTimeout === 'retry' ? retryAtAfter(resolveRetry(step.retry, fallback), attempt, now) : undefined;
}
