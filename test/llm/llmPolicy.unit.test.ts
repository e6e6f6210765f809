import { describe, expect, it, vi } from 'vitest';
import { createLlmPolicy, isLlmError, LlmError } from '../../src/llm/index.js';
import { contractContext } from './llmContract.js';

const context = contractContext('draft');

describe('LLM policy', () => {
  it('does not retry terminal errors', async () => {
    const policy = createLlmPolicy({ initialDelayMs: 1 });
    let calls = 0;
    const error = await policy
      .run(context, undefined, async () => {
        calls++;
        throw new LlmError('BAD_REQUEST', 'no');
      })
      .catch((e: unknown) => e);
    expect(isLlmError(error) && error.code).toBe('BAD_REQUEST');
    expect(calls).toBe(1);
    expect(policy.stats()).toMatchObject({ calls: 1, failed: 1, attempts: 1, retries: 0, breaker: 'closed' });
  });

  it('counts attempts across retries', async () => {
    const policy = createLlmPolicy({ initialDelayMs: 1 });
    let calls = 0;
    const { value, attempts } = await policy.run(context, undefined, async (_signal, attemptNo) => {
      calls++;
      if (attemptNo < 3) throw new LlmError('CONNECTION', 'down');
      return 'ok';
    });
    expect([value, attempts, calls]).toEqual(['ok', 3, 3]);
  });

  it('rejects at once when the caller aborts during a backoff, and never retries after the abort', async () => {
    vi.useFakeTimers();
    try {
      const policy = createLlmPolicy({ initialDelayMs: 1, maxRetryAfterMs: 1_000 });
      const controller = new AbortController();
      let calls = 0;
      const pending = policy
        .run(context, controller.signal, async () => {
          calls++;
          throw new LlmError('RATE_LIMITED', 'slow down', { retryAfterMs: 1_000 });
        })
        .catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(10); // now inside the 1 s server-requested wait
      controller.abort();
      const error = await pending;
      expect(isLlmError(error) && [error.code, error.retryable]).toEqual(['CANCELLED', false]);
      await vi.advanceTimersByTimeAsync(5_000); // the backoff ends: nothing is called again
      expect(calls).toBe(1);
      expect(policy.stats()).toMatchObject({ attempts: 1, retries: 1, failed: 1 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('passes a signal to each attempt that the caller’s abort reaches', async () => {
    const policy = createLlmPolicy();
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const pending = policy.run(context, controller.signal, (signal) => {
      seen = signal;
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    });
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect(isLlmError(error) && error.code).toBe('CANCELLED');
    expect(seen?.aborted).toBe(true);
  });
});
