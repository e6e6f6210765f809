import { BulkheadRejectedError, TaskCancelledError, TimeoutStrategy, bulkhead, timeout } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { isTaskCancelled } from '../../src/llm/index.js';

/** The errors cockatiel itself raises, not hand-made look-alikes. */
async function cancelledByTimeout(): Promise<unknown> {
  return timeout(1, TimeoutStrategy.Aggressive)
    .execute(() => new Promise(() => undefined))
    .catch((error: unknown) => error);
}

async function rejectedByBulkhead(): Promise<unknown> {
  const limiter = bulkhead(1, 0);
  let release: () => void = () => undefined;
  const holding = limiter.execute(() => new Promise<void>((resolve) => (release = resolve)));
  const rejected = await limiter.execute(async () => undefined).catch((error: unknown) => error);
  release();
  await holding;
  return rejected;
}

describe('isTaskCancelled', () => {
  it('recognises a task cockatiel cancelled', async () => {
    const error = await cancelledByTimeout();
    expect(error).toBeInstanceOf(TaskCancelledError);
    expect(isTaskCancelled(error)).toBe(true);
  });

  it('does not take a bulkhead rejection for a cancelled task', async () => {
    const error = await rejectedByBulkhead();
    expect(error).toBeInstanceOf(BulkheadRejectedError);
    expect(isTaskCancelled(error)).toBe(false);
  });

  it('recognises a cancelled task from another copy of cockatiel by its marker, and nothing else', () => {
    const foreign = Object.assign(new Error('Operation cancelled'), { isTaskCancelledError: true });
    expect(isTaskCancelled(foreign)).toBe(true);
    expect(isTaskCancelled(new Error('Operation cancelled'))).toBe(false);
    expect(isTaskCancelled({ isTaskCancelledError: true })).toBe(false);
    expect(isTaskCancelled(undefined)).toBe(false);
  });
});
