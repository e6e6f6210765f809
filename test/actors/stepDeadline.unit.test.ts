import { describe, expect, it } from 'vitest';
import { MAX_TIMER_DELAY_MS } from '../../src/actors/clock.js';
import { LazyAbort } from '../../src/actors/lazyAbort.js';
import { StepDeadline } from '../../src/actors/stepDeadline.js';

/** A clock whose timers fire only when the test says so. */
function heldTimers() {
  const timers: { delayMs: number; fire: () => void; cleared: boolean }[] = [];
  return {
    timers,
    clock: {
      setTimer: (fire: () => void, delayMs: number) => {
        const timer = { delayMs, fire, cleared: false };
        timers.push(timer);
        return timer;
      },
      clearTimer: (handle: unknown) => {
        (handle as { cleared: boolean }).cleared = true;
      },
    },
  };
}

describe("StepDeadline: a step attempt's timeoutMs on the engine's clock", () => {
  it('aborts the signal with a TimeoutError and rejects expired when its timer fires', async () => {
    const { clock, timers } = heldTimers();
    const deadline = new StepDeadline(clock, 5_000, new LazyAbort(), () => 'Step "s" did not finish by then');
    const signal = deadline.signal;
    expect(timers.map((timer) => timer.delayMs)).toEqual([5_000]);
    timers[0]?.fire();
    expect(deadline.timedOut).toBe(true);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
    await expect(deadline.expired).rejects.toThrow('Step "s" did not finish by then');
  });

  it("a signal asked for after the timeout is aborted already; the attempt's own abort aborts it too and ends the race", async () => {
    const { clock, timers } = heldTimers();
    const late = new StepDeadline(clock, 1, new LazyAbort(), () => 'late');
    timers[0]?.fire();
    expect(late.signal.aborted).toBe(true);
    const abort = new LazyAbort();
    const cancelled = new StepDeadline(clock, 1_000, abort, () => 'x');
    const signal = cancelled.signal;
    abort.abort('shutdown');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('shutdown');
    expect(cancelled.timedOut).toBe(false);
    await expect(cancelled.expired).rejects.toBe('shutdown');
  });

  it('a deadline past what one timer holds (24.8 days) is reached in hops; cancel clears the pending hop', () => {
    const { clock, timers } = heldTimers();
    const thirtyDays = 30 * 86_400_000;
    const deadline = new StepDeadline(clock, thirtyDays, new LazyAbort(), () => 'x');
    expect(timers.map((timer) => timer.delayMs)).toEqual([MAX_TIMER_DELAY_MS]);
    timers[0]?.fire();
    expect(deadline.timedOut).toBe(false);
    expect(timers.map((timer) => timer.delayMs)).toEqual([MAX_TIMER_DELAY_MS, thirtyDays - MAX_TIMER_DELAY_MS]);
    deadline.cancel();
    expect(timers[1]?.cleared).toBe(true);
  });
});
