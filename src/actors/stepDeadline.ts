import { type Clock, MAX_TIMER_DELAY_MS } from './clock.js';
import type { SignalSource } from './journalEnv.js';
import type { LazyAbort } from './lazyAbort.js';

/**
 * An attempt's `timeoutMs`, on the engine's clock: when its due time passes, the step's signal
 * aborts with a `TimeoutError` and `expired` rejects, whether or not the step listens. The
 * attempt's own abort (CANCEL, shutdown) aborts the step's signal and rejects `expired` too, so
 * nobody waits for a step that ignores its signal. The step's signal is made only when asked for.
 *
 * While the step does its own work the timer is a `Clock.setDeadline` (a test's simulated clock
 * does not fire it by jumping to another workflow's timer); while it waits on its child workflows
 * it is a plain timer, since the children's timers are then the step's time.
 */
export class StepDeadline implements SignalSource {
  timedOut = false;
  /** Rejects when the deadline passes or the attempt is aborted; race the step's work against it. */
  readonly expired: Promise<never>;
  private handle: unknown;
  private own: AbortController | undefined;
  private combined: AbortSignal | undefined;
  private readonly onAbort: () => void;
  private readonly expire: (error: unknown) => void;
  private childWaits = 0;
  private over = false;

  constructor(
    private readonly clock: Pick<Clock, 'now' | 'setTimer' | 'setDeadline' | 'clearTimer'>,
    /** The recorded `timeoutAt`, in ms since the epoch. */
    private readonly dueMs: number,
    private readonly abort: LazyAbort,
    private readonly reason: () => string,
  ) {
    let expire: (error: unknown) => void = () => undefined;
    this.expired = new Promise<never>((_, reject) => (expire = reject));
    this.expire = expire;
    // Raced against the step's work; once that has settled, a late expiry is nobody's concern.
    this.expired.catch(() => undefined);
    this.arm();
    this.onAbort = () => expire(abort.signal.reason);
    if (abort.aborted) this.onAbort();
    else abort.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  get signal(): AbortSignal {
    if (this.combined === undefined) {
      this.own = new AbortController();
      if (this.timedOut) this.own.abort(this.timeoutError());
      this.combined = AbortSignal.any([this.abort.signal, this.own.signal]);
    }
    return this.combined;
  }

  /** The step waits on a child workflow until the returned function is called. */
  waitOnChild(): () => void {
    if (this.childWaits++ === 0) this.rearm();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.childWaits === 0) this.rearm();
    };
  }

  /** The attempt is over: the deadline no longer matters. */
  cancel(): void {
    this.over = true;
    this.clock.clearTimer(this.handle);
    this.abort.signal.removeEventListener('abort', this.onAbort);
  }

  private arm(): void {
    const remainingMs = Math.max(0, this.dueMs - this.clock.now().getTime());
    // A timer holds at most MAX_TIMER_DELAY_MS (24.8 days): a later deadline is reached in hops.
    const hop = Math.min(remainingMs, MAX_TIMER_DELAY_MS);
    const bounded = this.childWaits === 0 && this.clock.setDeadline !== undefined;
    const fire = () => {
      if (hop < remainingMs) return this.arm();
      this.timedOut = true;
      const error = this.timeoutError();
      this.own?.abort(error);
      this.expire(error);
    };
    this.handle = bounded ? this.clock.setDeadline?.(fire, hop) : this.clock.setTimer(fire, hop);
  }

  private rearm(): void {
    if (this.over || this.timedOut) return;
    this.clock.clearTimer(this.handle);
    this.arm();
  }

  private timeoutError(): DOMException {
    return new DOMException(this.reason(), 'TimeoutError');
  }
}
