import { type Clock, MAX_TIMER_DELAY_MS } from './clock.js';

export interface WakeUpTimers {
  /** Arms (or moves, or with undefined clears) the workflow's one wake-up. */
  wakeAt(workflowId: string, at: string | undefined): void;
  /** The due time armed for the workflow (or come, its wake-up waiting its turn), if any. */
  dueAt(workflowId: string): string | undefined;
  /** Resolves after the workflow's next wake-up has run (or at close). */
  nextWake(workflowId: string): Promise<void>;
  /** Clears the wake-ups of the workflows `only` keeps. */
  clear(only: (workflowId: string) => boolean): void;
  /** Clears every wake-up and lets every waiter go. */
  close(): void;
}

export interface WakeUpTimerOptions {
  clock: Clock;
  /** What a wake-up does (load the workflow and drive it). */
  wake: (workflowId: string) => Promise<void>;
  /** Runs background work, reporting its failure. */
  track: (work: Promise<unknown>) => void;
  closed: () => boolean;
}

/**
 * Wake-ups run at once. When many come due together (one instant for many workflows, a restart
 * after downtime), the rest wait in line: each batch's appends share group commits, the first
 * are recorded while later ones wait, and the work in flight stays small enough to die young
 * rather than pile up for the garbage collector (`npm run bench -- timers`, docs/engine.md).
 */
const WAKES_AT_ONCE = 256;

/**
 * One wake-up per workflow that has a due time ahead (kept when its actor leaves memory), and who
 * waits for it (`settled` waits through timers). Delays longer than the clock allows are re-armed
 * in steps.
 */
export function createWakeUpTimers({ clock, wake, track, closed }: WakeUpTimerOptions): WakeUpTimers {
  const timers = new Map<string, { at: string; handle: unknown }>();
  const waiters = new Map<string, (() => void)[]>();
  /** Due and waiting for a free place among the wake-ups running; insertion order is due order. */
  const due = new Map<string, string>();
  let running = 0;

  const fire = async (workflowId: string): Promise<void> => {
    try {
      if (!closed()) await wake(workflowId);
    } finally {
      const waiting = waiters.get(workflowId);
      waiters.delete(workflowId);
      for (const resolve of waiting ?? []) resolve();
    }
  };

  const startDue = (): void => {
    for (const workflowId of due.keys()) {
      if (running >= WAKES_AT_ONCE) return;
      due.delete(workflowId);
      running++;
      track(
        fire(workflowId).finally(() => {
          running--;
          startDue();
        }),
      );
    }
  };

  const wakeAt = (workflowId: string, at: string | undefined): void => {
    const armed = timers.get(workflowId);
    if (armed !== undefined && armed.at === at) return;
    if (armed !== undefined) clock.clearTimer(armed.handle);
    if (at === undefined || closed()) {
      timers.delete(workflowId);
      return;
    }
    const delay = Math.max(0, Date.parse(at) - clock.now().getTime());
    const handle = clock.setTimer(
      () => {
        if (timers.get(workflowId)?.handle !== handle) return;
        timers.delete(workflowId);
        if (delay > MAX_TIMER_DELAY_MS) return wakeAt(workflowId, at);
        due.set(workflowId, at);
        startDue();
      },
      Math.min(delay, MAX_TIMER_DELAY_MS),
    );
    timers.set(workflowId, { at, handle });
  };

  const clear = (only?: (workflowId: string) => boolean): void => {
    for (const [workflowId, armed] of timers)
      if (only === undefined || only(workflowId)) {
        clock.clearTimer(armed.handle);
        timers.delete(workflowId);
      }
    for (const workflowId of due.keys()) if (only === undefined || only(workflowId)) due.delete(workflowId);
  };

  return {
    wakeAt,
    dueAt: (workflowId) => timers.get(workflowId)?.at ?? due.get(workflowId),
    nextWake: (workflowId) =>
      new Promise((resolve) => {
        const waiting = waiters.get(workflowId) ?? [];
        waiting.push(resolve);
        waiters.set(workflowId, waiting);
      }),
    clear,
    close() {
      clear();
      for (const waiting of waiters.values()) for (const resolve of waiting) resolve();
      waiters.clear();
    },
  };
}
