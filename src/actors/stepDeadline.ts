import { type Clock, MAX_TIMER_DELAY_MS } from './clock.js';
import type { SignalSource } from './journalEnv.js';
import type { LazyAbort } from './lazyAbort.js';

/**
 * An attempt's `timeoutMs`, on the engine's clock (`Clock.setDeadline`, so a test's simulated clock
 * fires it when the test moves time): when it passes, the step's signal aborts with a
 * `TimeoutError` and `expired` rejects, whether or not the step listens. The attempt's own abort
 * (CANCEL, shutdown) aborts the step's signal and rejects `expired` too, so nobody waits for a
 * step that ignores its signal. The step's signal is made only when the step asks for it.
 */
export class StepDeadline implements SignalSource {
  timedOut = false;
  /** Rejects when the deadline passes; race the step's work against it. */
  readonly expired: Promise<never>;
  private handle: unknown;
  private own: AbortController | undefined;
  private combined: AbortSignal | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly clock: Pick<Clock, 'setTimer' | 'setDeadline' | 'clearTimer'>,
    delayMs: number,
    private readonly abort: LazyAbort,
    private readonly reason: () => string,
  ) {
    let expire: (error: unknown) => void = () => undefined;
    this.expired = new Promise<never>((_, reject) => (expire = reject));
    // Raced against the step's work; once that has settled, a late expiry is nobody's concern.
    this.expired.catch(() => undefined);
    const arm = (remainingMs: number): void => {
      // A timer holds at most MAX_TIMER_DELAY_MS (24.8 days): a later deadline is reached in hops.
      const hop = Math.min(remainingMs, MAX_TIMER_DELAY_MS);
      const set = clock.setDeadline === undefined ? clock.setTimer.bind(clock) : clock.setDeadline.bind(clock);
      this.handle = set(() => {
        if (remainingMs > hop) return arm(remainingMs - hop);
        this.timedOut = true;
        const error = this.timeoutError();
        this.own?.abort(error);
        expire(error);
      }, hop);
    };
    arm(delayMs);
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

  /** The attempt is over: the deadline no longer matters. */
  cancel(): void {
    this.clock.clearTimer(this.handle);
    this.abort.signal.removeEventListener('abort', this.onAbort);
  }

  private timeoutError(): DOMException {
    return new DOMException(this.reason(), 'TimeoutError');
  }
}
