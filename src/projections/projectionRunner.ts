import winston, { type Logger } from 'winston';
import type { EventStore, RecordedEvent } from '../eventstore/index.js';
import { defaultUpcasterRegistry, type UpcasterRegistry } from '../machines/index.js';
import { createCheckpointStore, type SkipCount } from './checkpointStore.js';
import { decodeBatch } from './decodeBatch.js';
import { ProjectionError } from './errors.js';
import { WORKFLOW_FILTER, catchUpFromLog, createLogFollower, headOfWorkflows, lagOf, type BatchResult, type CatchUpProgress, type Lag } from './followLog.js';
import type { ProjectionDatabase } from './projectionDatabase.js';
import type { ReadModel } from './readModel.js';
import { DEFAULT_READ_MODELS, readModelSchemaOf } from './readModels.js';
import { createWaiters } from './waiters.js';

export interface ProjectionRunnerOptions {
  store: EventStore;
  db: ProjectionDatabase;
  readModels?: readonly ReadModel[];
  upcasters?: UpcasterRegistry;
  /** Most events applied in one transaction. */
  batchSize?: number;
  logger?: Logger;
  /** Name of the checkpoint row; one per set of read models fed from the same log. */
  name?: string;
  /** Told after each batch that moved the checkpoint (a runner in a worker thread reports it to the server). */
  onCheckpoint?: (checkpoint: bigint) => void;
  /**
   * Told when following the log live failed (a batch or the subscription). The runner follows the
   * log again from its checkpoint after the next of `retryDelaysMs`, until `stop`.
   */
  onFailure?: (error: unknown, retryInMs: number) => void;
  /** Waits before following the log again after failures in a row; the last one repeats. */
  retryDelaysMs?: readonly number[];
}

/** A store that went away, a full disk, a locked file: retried soon, then every 30 s, never given up. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [100, 1_000, 5_000, 15_000, 30_000];

export { WORKFLOW_FILTER } from './followLog.js';
export type { BatchResult, CatchUpProgress, Lag } from './followLog.js';

export interface CatchUpOptions {
  onProgress?: (progress: CatchUpProgress) => void;
}

export interface ProjectionRunner {
  /** Applies events in global order as one transaction; events at or before the checkpoint are ignored. */
  applyEvents(events: readonly RecordedEvent[]): BatchResult;
  /** Reads the log from the checkpoint up to the head as it was when called. */
  catchUp(options?: CatchUpOptions): Promise<CatchUpProgress>;
  /** Follows the log live from the checkpoint until `stop`. */
  start(): void;
  stop(): Promise<void>;
  /** Empties every read model and applies the whole log again. */
  rebuild(options?: CatchUpOptions): Promise<CatchUpProgress>;
  checkpoint(): bigint | null;
  lag(): Promise<Lag>;
  /** Resolves once the checkpoint reaches `position`: read-your-writes for the command API. */
  waitFor(position: bigint, options?: { timeoutMs?: number }): Promise<void>;
  skipped(): SkipCount[];
}

/**
 * A runner wherever its read models live: SQLite applies a batch synchronously, PostgreSQL over
 * the network (`applyEvents` and `skipped` then return promises; await both either way).
 */
export type ReadModelRunner = Omit<ProjectionRunner, 'applyEvents' | 'skipped'> & {
  applyEvents(events: readonly RecordedEvent[]): BatchResult | Promise<BatchResult>;
  skipped(): SkipCount[] | Promise<SkipCount[]>;
};

export function createProjectionRunner(options: ProjectionRunnerOptions): ProjectionRunner {
  const { store, db } = options;
  const readModels = options.readModels ?? DEFAULT_READ_MODELS;
  const upcasters = options.upcasters ?? defaultUpcasterRegistry();
  const batchSize = options.batchSize ?? 1000;
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const schema = readModelSchemaOf(readModels);

  for (const model of readModels) model.migrate(db);
  const checkpoints = createCheckpointStore(db, options.name ?? 'workflows');
  const resetReadModels = db.transaction(() => {
    for (const model of readModels) model.drop(db);
    for (const model of readModels) model.migrate(db);
    checkpoints.restart(schema);
  });
  const stored = checkpoints.read();
  if (stored.schema !== schema) {
    // A new file has no schema yet: nothing to rebuild, so nothing worth telling anyone.
    if (stored.schema === '') logger.debug('projection read models created', { schema });
    else logger.info('projection schema changed: rebuilding read models from the log', { schema, was: stored.schema });
    resetReadModels.immediate();
  }
  const appliers = readModels.map((model) => model.createApplier(db));
  const waiters = createWaiters();

  const applyBatch = db.transaction((events: readonly RecordedEvent[], generation: number | undefined): BatchResult | undefined => {
    const current = checkpoints.read();
    if (generation !== undefined && current.generation !== generation) return undefined;
    const batch = decodeBatch(events, current.position, upcasters);
    for (const decoded of batch.decoded) for (const applier of appliers) applier.apply(decoded);
    for (const applier of appliers) applier.flush();
    checkpoints.countSkips(batch.skips);
    if (batch.position !== null && batch.position !== current.position)
      checkpoints.write(batch.position, events.findLast((event) => event.position === batch.position)?.id ?? null);
    return { applied: batch.decoded.length, skipped: batch.skipped, ignored: batch.ignored, checkpoint: batch.position };
  });

  const runBatch = (events: readonly RecordedEvent[], generation?: number) => {
    try {
      const result = applyBatch.immediate(events, generation);
      if (result !== undefined) {
        waiters.reached(result.checkpoint);
        // Ignored events count too: another process sharing the read-model file applied them, and
        // waits here must still see the checkpoint move (several `ecl serve` on one store).
        if (result.checkpoint !== null && result.applied + result.skipped + result.ignored > 0) options.onCheckpoint?.(result.checkpoint);
      }
      return result;
    } catch (error) {
      for (const applier of appliers) applier.abort();
      throw error;
    }
  };

  const follower = createLogFollower({
    store,
    batchSize,
    logger,
    retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    onFailure: options.onFailure,
    startingPoint: () => checkpoints.read(),
    applyBatch: runBatch,
    failWaiters: (error) => waiters.failAll(error),
  });

  /**
   * Read models built from another log (its store file deleted and made anew, another server at the
   * same address) would go on from a position that means nothing here: the event at the checkpoint
   * must be the one applied there, else they start over.
   */
  const rebuildIfAnotherLog = async (): Promise<void> => {
    const { position, eventId } = checkpoints.read();
    if (position === null) return;
    const [found] = await store.readAll({ fromPosition: position, limit: 1, filter: WORKFLOW_FILTER });
    if (found?.position === position && (eventId === null || found.id === eventId)) return;
    logger.warn('The read models were built from another event log: rebuilding them from this one', {
      checkpoint: position.toString(),
      expected: eventId,
      found: found === undefined ? null : { position: found.position.toString(), id: found.id },
    });
    resetReadModels.immediate();
  };

  const runner: ProjectionRunner = {
    // Without a generation to check, a batch is never stale.
    applyEvents: (events) => runBatch(events) as BatchResult,
    async catchUp({ onProgress } = {}) {
      await rebuildIfAnotherLog();
      return catchUpFromLog({ store, batchSize, checkpoint: () => checkpoints.read().position, applyBatch: runBatch, onProgress });
    },
    start: () => follower.start(),
    async stop() {
      await follower.stop();
      waiters.failAll(new ProjectionError('PROJECTION_STOPPED', 'The projection runner stopped'));
    },
    async rebuild(catchUpOptions) {
      const wasLive = follower.halt();
      resetReadModels.immediate();
      const progress = await runner.catchUp(catchUpOptions);
      if (wasLive) runner.start();
      return progress;
    },
    checkpoint: () => checkpoints.read().position,
    lag: async () => lagOf(await headOfWorkflows(store), checkpoints.read().position),
    waitFor: (position, { timeoutMs = 5000 } = {}) => waiters.waitFor(position, checkpoints.read().position, timeoutMs),
    skipped: () => checkpoints.skips(),
  };
  return runner;
}
