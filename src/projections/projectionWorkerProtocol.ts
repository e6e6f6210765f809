import type { CatchUpProgress } from './projectionRunner.js';

/** What the server thread gives a projection worker to start from. */
export interface ProjectionWorkerData {
  storeUrl: string;
  projectionsPath: string;
  /** How often the worker's store connection polls for commits (the server also says when it commits, in `commits`). */
  pollIntervalMs?: number;
  /**
   * A count the server bumps (and `Atomics.notify`s) after it committed: the worker waits on it with
   * `Atomics.waitAsync` and reads the log when it moves. A notify costs next to nothing unless the
   * worker is waiting, so the commits made while it reads wake it once, not once each.
   */
  commits: Int32Array<SharedArrayBuffer>;
}

export type ToProjectionWorker = { type: 'catchUp' } | { type: 'start' } | { type: 'stop' };

export type FromProjectionWorker =
  | { type: 'opened'; checkpoint: bigint | null }
  | { type: 'caughtUp'; progress: CatchUpProgress }
  | { type: 'checkpoint'; position: bigint }
  /** The worker cannot go on (its store or read models did not open, a command failed). */
  | { type: 'failed'; message: string }
  /** Following the log failed; the runner follows it again from its checkpoint in `retryInMs`. */
  | { type: 'runnerFailed'; message: string; retryInMs: number }
  | { type: 'stopped' }
  | { type: 'log'; level: string; message: string; meta: Record<string, unknown> };
