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
  | { type: 'failed'; message: string }
  | { type: 'stopped' }
  | { type: 'log'; level: string; message: string; meta: Record<string, unknown> };
