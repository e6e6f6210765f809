/**
 * Time for an engine: what "now" is, and how it is woken at a due time (a sleep's end, a retry, a
 * signal's timeout, a deadline). Due times are recorded in the log, so a timer only says *when* to
 * look again; a lost timer (a crash) is re-armed from the log at recovery. Tests pass a simulated
 * clock (`createManualClock` from `ecl-workflows/testing`) and never sleep.
 */
export interface Clock {
  now(): Date;
  /** Calls `callback` once after `delayMs`; returns a handle for `clearTimer`. */
  setTimer(callback: () => void, delayMs: number): unknown;
  /**
   * A timer that bounds work in flight (a step attempt's `timeoutMs`), cleared with `clearTimer`.
   * A simulated clock fires it when the test moves time, but not on its own jump to another
   * workflow's timer (`waiting`), so real work is never timed out by simulated time it did not
   * take. Default: `setTimer`.
   */
  setDeadline?(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
  /**
   * Called when `Engine.settled` waits for a workflow that nothing but its timer at `until` can
   * move on (nothing of it in flight). The system clock ignores it; a simulated clock jumps there.
   */
  waiting?(until: Date): void;
}

/** The process's clock and Node's timers. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Node's timers hold at most 2^31 - 1 ms (24.8 days); a later due time is reached in hops. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
