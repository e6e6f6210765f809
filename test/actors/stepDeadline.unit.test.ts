import { describe, expect, it } from 'vitest';
import { MAX_TIMER_DELAY_MS } from '../../src/actors/clock.js';
import { LazyAbort } from '../../src/actors/lazyAbort.js';
import { StepDeadline } from '../../src/actors/stepDeadline.js';

/** A clock whose timers fire only when the test says so; `kind` tells a step deadline from a plain timer. */
function heldTimers() {
  let time = 0;
  const timers: { delayMs: number; kind: 'deadline' | 'timer'; fire: () => void; cleared: boolean }[] = [];
  const arm = (kind: 'deadline' | 'timer') => (fire: () => void, delayMs: number) => {
    const timer = { delayMs, kind, fire, cleared: false };
    timers.push(timer);
    return timer;
  };
  return {
    timers,
    live: () => timers.filter((timer) => !timer.cleared),
    setTime: (ms: number) => void (time = ms),
    clock: {
      now: () => new Date(time),
      setTimer: arm('timer'),
      setDeadline: arm('deadline'),
      clearTimer: (handle: unknown) => void ((handle as { cleared: boolean }).cleared = true),
    },
  };
}

describe("StepDeadline: a step attempt's timeoutMs on the engine's clock", () => {
  it('aborts the signal with a TimeoutError and rejects expired when its timer fires', async () => {
    const { clock, timers } = heldTimers();
    const deadline = new StepDeadline(clock, 5_000, new LazyAbort(), () => 'Step "s" did not finish by then');
    const signal = deadline.signal;
    expect(timers.map((timer) => [timer.kind, timer.delayMs])).toEqual([['deadline', 5_000]]);
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

  it('a deadline past what one timer holds (24.8 days) is reached in hops, each from the due time; cancel clears the pending hop', () => {
    const { clock, timers, setTime } = heldTimers();
    const thirtyDays = 30 * 86_400_000;
    const deadline = new StepDeadline(clock, thirtyDays, new LazyAbort(), () => 'x');
    expect(timers.map((timer) => timer.delayMs)).toEqual([MAX_TIMER_DELAY_MS]);
    // The clock went further than the hop (a simulated jump): the next hop is what is left to the due time.
    setTime(MAX_TIMER_DELAY_MS + 86_400_000);
    timers[0]?.fire();
    expect(deadline.timedOut).toBe(false);
    expect(timers.map((timer) => timer.delayMs)).toEqual([MAX_TIMER_DELAY_MS, thirtyDays - MAX_TIMER_DELAY_MS - 86_400_000]);
    deadline.cancel();
    expect(timers[1]?.cleared).toBe(true);
  });

  it('while the step waits on child workflows the deadline is a plain timer (their timers are its time), then a deadline again', () => {
    const { clock, live, setTime } = heldTimers();
    const deadline = new StepDeadline(clock, 60_000, new LazyAbort(), () => 'x');
    setTime(10_000);
    const first = deadline.waitOnChild();
    const second = deadline.waitOnChild();
    expect(live().map((timer) => [timer.kind, timer.delayMs])).toEqual([['timer', 50_000]]);
    first();
    first();
    expect(live().map((timer) => timer.kind)).toEqual(['timer']);
    setTime(20_000);
    second();
    expect(live().map((timer) => [timer.kind, timer.delayMs])).toEqual([['deadline', 40_000]]);
    deadline.cancel();
    expect(live()).toEqual([]);
  });
});
