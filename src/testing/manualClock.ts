import type { Clock } from '../actors/index.js';

/** A simulated clock for tests: time moves only when told, and timers fire as it passes them. */
export interface ManualClock extends Clock {
  /**
   * Moves time forward by `ms`, firing every timer that comes due on the way, in due order, each at
   * its due time: the work a timer starts (the next steps, their calls, the next sleep) runs at that
   * time until it comes to rest, before time moves on. Resolves at the end.
   */
  advance(ms: number): Promise<void>;
  /** The due time (ms since the epoch) of the earliest pending timer, if any. */
  nextDue(): number | undefined;
  /**
   * Lets the engine work, then jumps to the next timer and fires it, again and again until `until`
   * settles (or `maxTimers` fired): how a test runs a workflow that sleeps or retries to its end in
   * no real time. Rejects when nothing is left to fire and `until` still has not settled.
   */
  runUntil<T>(until: Promise<T>, maxTimers?: number): Promise<T>;
  /**
   * A deadline on work in flight (a step attempt's `timeoutMs`): `advance` and `runUntil` fire it
   * when it comes due; the clock's own jump to a timer `engine.settled` waits for passes it, so a
   * step doing real work is not timed out by time it did not take.
   */
  setDeadline(callback: () => void, delayMs: number): unknown;
  /** Timers armed and not fired yet. */
  readonly pending: number;
  /** Whether `engine.settled` jumps to the timer a workflow waits for (`createManualClock`'s option, default true). */
  readonly autoAdvance: boolean;
}

interface Timer {
  due: number;
  callback: () => void;
  bounds: boolean;
}

/** One macrotask turn: what the engine needs to append and arm its next timer. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const IDLE_TURNS = 50;
/** Turns without the engine reading the time or arming a timer after which a fired timer's work is taken to be at rest. */
const QUIET_TURNS = 10;
/** At most this many turns for one timer's work to come to rest (work that never does, e.g. a step polling the clock). */
const MAX_SETTLE_TURNS = 10_000;

/**
 * A {@link ManualClock} starting at `start` (default 2030-01-01T00:00:00Z). Pass it as
 * `EngineOptions.clock` / `TestEngineOptions.clock`. With `autoAdvance` (the default), when
 * `engine.settled(id)` waits for a workflow that only a timer can move on (a sleep, a retry's
 * backoff), the clock jumps to that timer, so `settled` returns once the workflow is at rest; set it
 * to `false` to move time only with `advance`.
 */
export function createManualClock(start: Date | string = '2030-01-01T00:00:00.000Z', options: { autoAdvance?: boolean } = {}): ManualClock {
  const auto = options.autoAdvance !== false;
  let time = typeof start === 'string' ? Date.parse(start) : start.getTime();
  let sequence = 0;
  /** `bounds`: a deadline on work in flight, which the clock's own jump (`waiting`) does not fire. */
  const timers = new Map<number, Timer>();
  /** Counts the engine's reads of the time and timer changes: every step of its work makes some. */
  let activity = 0;

  /** Lets the work a fired timer started run until it stops touching the clock. */
  const settle = async (): Promise<void> => {
    let seen = activity;
    for (let quiet = 0, turns = 0; quiet < QUIET_TURNS && turns < MAX_SETTLE_TURNS; turns++) {
      await turn();
      if (activity === seen) quiet++;
      else [seen, quiet] = [activity, 0];
    }
  };

  const earliest = (skipBounds = false): [number, Timer] | undefined => {
    let found: [number, Timer] | undefined;
    for (const entry of timers) if (!(skipBounds && entry[1].bounds) && (found === undefined || entry[1].due < found[1].due)) found = entry;
    return found;
  };

  const advanceTo = async (target: number, skipBounds = false): Promise<void> => {
    for (let next = earliest(skipBounds); next !== undefined && next[1].due <= target; next = earliest(skipBounds)) {
      timers.delete(next[0]);
      time = Math.max(time, next[1].due);
      next[1].callback();
      await settle();
    }
    time = Math.max(time, target);
  };

  const clock: ManualClock = {
    now: () => {
      activity++;
      return new Date(time);
    },
    setTimer(callback, delayMs) {
      activity++;
      const handle = ++sequence;
      timers.set(handle, { due: time + Math.max(0, delayMs), callback, bounds: false });
      return handle;
    },
    setDeadline(callback, delayMs) {
      activity++;
      const handle = ++sequence;
      timers.set(handle, { due: time + Math.max(0, delayMs), callback, bounds: true });
      return handle;
    },
    clearTimer(handle) {
      activity++;
      timers.delete(handle as number);
    },
    advance: (ms) => advanceTo(time + ms),
    nextDue: () => earliest()?.[1].due,
    async runUntil(until, maxTimers = 10_000) {
      let done = false;
      until.then(
        () => (done = true),
        () => (done = true),
      );
      for (let fired = 0; fired <= maxTimers;) {
        for (let idle = 0; idle < IDLE_TURNS && !done && timers.size === 0; idle++) await turn();
        await turn();
        if (done) return until;
        const next = earliest();
        if (next === undefined) throw new Error('runUntil: no timer is pending and the awaited work has not settled');
        await advanceTo(next[1].due);
        fired++;
      }
      throw new Error(`runUntil: fired ${maxTimers} timers and the awaited work has not settled`);
    },
    get pending() {
      return timers.size;
    },
    autoAdvance: auto,
    waiting(until) {
      // Outside the engine's call: the jump fires timers, which drive the engine again. It passes
      // the deadlines of steps in flight without firing them: their work takes real time, not this jump's.
      if (auto) setImmediate(() => void advanceTo(until.getTime(), true));
    },
  };
  return clock;
}
