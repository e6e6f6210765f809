import { describe, expect, it } from 'vitest';
import { createWriteTracker } from '../../src/api/writeTracker.js';

describe('write tracker (read-your-writes)', () => {
  it('resolves lazy positions only when the key reads, and answers the newest', async () => {
    const tracker = createWriteTracker();
    let lookups = 0;
    const lazy = (position: bigint) => async () => (lookups++, position);
    tracker.note('k', 5n);
    tracker.note('k', lazy(9n));
    tracker.note('k', lazy(7n));
    tracker.note('other', lazy(100n));
    expect(lookups).toBe(0);
    expect(await tracker.latest('k')).toBe(9n);
    expect(lookups).toBe(2);
    expect(await tracker.latest('nobody')).toBeUndefined();
  });

  it('keeps the last 1,024 unresolved writes without looking any up, and forgets what the projections passed', async () => {
    const tracker = createWriteTracker();
    let lookups = 0;
    for (let i = 1; i <= 3000; i++) tracker.note('k', async () => (lookups++, BigInt(i)));
    expect(lookups).toBe(0);
    expect(await tracker.latest('k')).toBe(3000n);
    expect(lookups).toBe(1024);
    tracker.settled('k', 2999n);
    expect(await tracker.latest('k')).toBe(3000n);
    tracker.settled('k', 3000n);
    expect(await tracker.latest('k')).toBeUndefined();
  });
});
