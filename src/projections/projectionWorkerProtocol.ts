import type { CatchUpProgress } from './projectionRunner.js';

/** What the server thread gives a projection worker to start from. */
export interface ProjectionWorkerData {
  storeUrl: string;
  projectionsPath: string;
  /** How often the worker's store connection polls for commits (the server also says when it commits). */
  pollIntervalMs?: number;
}

export type ToProjectionWorker = { type: 'catchUp' } | { type: 'start' } | { type: 'stop' } | { type: 'committed' };

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
