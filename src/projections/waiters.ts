import { ProjectionError } from './errors.js';

interface Waiter {
  position: bigint;
  resolve: () => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

/** Callers waiting for the checkpoint to reach a position. */
export function createWaiters() {
  const waiting = new Set<Waiter>();
  const settle = (waiter: Waiter) => {
    clearTimeout(waiter.timer);
    waiting.delete(waiter);
  };
  return {
    waitFor(position: bigint, checkpoint: bigint | null, timeoutMs: number): Promise<void> {
      if (checkpoint !== null && checkpoint >= position) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          position,
          resolve,
          reject,
          timer: setTimeout(() => {
            settle(waiter);
            reject(new ProjectionError('PROJECTION_TIMEOUT', `The projection did not reach position ${position} within ${timeoutMs} ms`));
          }, timeoutMs),
        };
        waiter.timer.unref?.();
        waiting.add(waiter);
      });
    },
    reached(checkpoint: bigint | null) {
      if (checkpoint === null) return;
      for (const waiter of waiting) {
        if (checkpoint >= waiter.position) {
          settle(waiter);
          waiter.resolve();
        }
      }
    },
    failAll(error: unknown) {
      for (const waiter of waiting) {
        settle(waiter);
        waiter.reject(error);
      }
    },
  };
}
