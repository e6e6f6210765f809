import type { Subscription } from 'rxjs';
import winston, { type Logger } from 'winston';
import { WORKFLOW_CATEGORY, type EventStore, type RecordedEvent, type StreamFilter } from '../eventstore/index.js';
import { defaultUpcasterRegistry, type UpcasterRegistry } from '../machines/index.js';
import { createCheckpointStore, type SkipCount } from './checkpointStore.js';
import { decodeEvent, type SkipReason } from './decodeEvent.js';
import { ProjectionError } from './errors.js';
import type { ProjectionDatabase } from './projectionDatabase.js';
import type { ReadModel } from './readModel.js';
import { DEFAULT_READ_MODELS } from './readModels.js';
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

export interface BatchResult {
  applied: number;
  skipped: number;
  /** At or before the checkpoint: already applied, so left alone. */
  ignored: number;
  checkpoint: bigint | null;
}

export interface CatchUpProgress {
  processed: number;
  checkpoint: bigint | null;
  /** Newest workflow event when the catch-up began. */
  head: bigint | null;
}

export interface CatchUpOptions {
  onProgress?: (progress: CatchUpProgress) => void;
}

export interface Lag {
  head: bigint | null;
  checkpoint: bigint | null;
  /** Global positions between the newest workflow event and the checkpoint (0 when caught up). */
  positions: bigint;
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

export const WORKFLOW_FILTER: StreamFilter = { streamPrefixes: [`${WORKFLOW_CATEGORY}-`] };

export function createProjectionRunner(options: ProjectionRunnerOptions): ProjectionRunner {
  const { store, db } = options;
  const readModels = options.readModels ?? DEFAULT_READ_MODELS;
  const upcasters = options.upcasters ?? defaultUpcasterRegistry();
  const batchSize = options.batchSize ?? 1000;
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const schema = readModels.map((model) => `${model.name}@${model.schemaVersion}`).join(',');

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
    let position = current.position;
    let applied = 0;
    let ignored = 0;
    const skips = new Map<string, SkipCount>();
    for (const recorded of events) {
      if (position !== null && recorded.position <= position) {
        ignored += 1;
        continue;
      }
      position = recorded.position;
      const result = decodeEvent(recorded, upcasters);
      if (result.ok) {
        for (const applier of appliers) applier.apply(result.decoded);
        applied += 1;
      } else {
        countSkip(skips, result.reason, result.detail, recorded.position);
      }
    }
    for (const applier of appliers) applier.flush();
    checkpoints.countSkips(skips.values());
    if (position !== null && position !== current.position) checkpoints.write(position);
    const skipped = [...skips.values()].reduce((sum, skip) => sum + skip.count, 0);
    return { applied, skipped, ignored, checkpoint: position };
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

  const headOfWorkflows = async (): Promise<bigint | null> =>
    (await store.readAll({ fromPosition: 'end', direction: 'backwards', limit: 1, filter: WORKFLOW_FILTER }))[0]?.position ?? null;

  interface LiveFeed {
    subscription: Subscription | undefined;
    pending: RecordedEvent[];
    scheduled: NodeJS.Immediate | undefined;
  }
  let live: LiveFeed | undefined;
  const retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  let failuresInARow = 0;
  let retry: NodeJS.Timeout | undefined;
  /** `stop` was called: a failure while stopping must not arm another retry. */
  let stopped = false;

  /** Live following failed: fail the waiters now, follow again from the checkpoint a little later. */
  const failLive = (error: unknown, what: string) => {
    stopLive();
    waiters.failAll(error);
    if (stopped) return;
    const delay = retryDelays[Math.min(failuresInARow, retryDelays.length - 1)] ?? 0;
    failuresInARow += 1;
    logger.error(`${what}: following the log again from the checkpoint in ${delay} ms`, { error, failuresInARow });
    options.onFailure?.(error, delay);
    retry = setTimeout(() => {
      retry = undefined;
      try {
        runner.start();
      } catch (startError) {
        failLive(startError, 'projection could not follow the log');
      }
    }, delay);
    retry.unref();
  };

  const flushLive = () => {
    if (live === undefined) return;
    if (live.scheduled !== undefined) clearImmediate(live.scheduled);
    live.scheduled = undefined;
    const batch = live.pending;
    live.pending = [];
    if (batch.length === 0) return;
    try {
      if (runBatch(batch, generation) === undefined) {
        logger.info('projection was rebuilt elsewhere: following the log again from the new checkpoint');
        stopLive();
        runner.start();
      } else {
        failuresInARow = 0;
      }
    } catch (error) {
      failLive(error, 'projection batch failed');
    }
  };
  const stopLive = () => {
    if (live === undefined) return;
    if (live.scheduled !== undefined) clearImmediate(live.scheduled);
    live.subscription?.unsubscribe();
    live = undefined;
  };
  let generation = 0;

  const runner: ProjectionRunner = {
    // Without a generation to check, a batch is never stale.
    applyEvents: (events) => runBatch(events) as BatchResult,
    async catchUp({ onProgress } = {}) {
      const head = await headOfWorkflows();
      let processed = 0;
      let checkpoint = checkpoints.read().position;
      while (head !== null && (checkpoint === null || checkpoint < head)) {
        const page = await store.readAll({ fromPosition: checkpoint === null ? 'start' : checkpoint + 1n, limit: batchSize, filter: WORKFLOW_FILTER });
        if (page.length === 0) break;
        const result = runBatch(page);
        processed += page.length;
        checkpoint = result?.checkpoint ?? checkpoints.read().position;
        onProgress?.({ processed, checkpoint, head });
      }
      return { processed, checkpoint, head };
    },
    start() {
      if (live !== undefined) return;
      stopped = false;
      clearTimeout(retry);
      retry = undefined;
      const current = checkpoints.read();
      generation = current.generation;
      const state: LiveFeed = { subscription: undefined, pending: [], scheduled: undefined };
      live = state;
      const subscribeOptions = current.position === null ? { filter: WORKFLOW_FILTER } : { afterPosition: current.position, filter: WORKFLOW_FILTER };
      state.subscription = store.subscribeToAll(subscribeOptions).subscribe({
        next: (event) => {
          if (live !== state) return;
          state.pending.push(event);
          if (state.pending.length >= batchSize) flushLive();
          else state.scheduled ??= setImmediate(flushLive);
        },
        error: (error: unknown) => {
          if (live !== state) return;
          flushLive();
          if (live === state) failLive(error, 'projection subscription failed');
        },
      });
      // A store that replays synchronously may have delivered (and a stale batch stopped us) before `subscribe` returned.
      if (live !== state) state.subscription.unsubscribe();
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      retry = undefined;
      flushLive();
      stopLive();
      waiters.failAll(new ProjectionError('PROJECTION_STOPPED', 'The projection runner stopped'));
    },
    async rebuild(catchUpOptions) {
      const wasLive = live !== undefined;
      stopLive();
      resetReadModels.immediate();
      const progress = await runner.catchUp(catchUpOptions);
      if (wasLive) runner.start();
      return progress;
    },
    checkpoint: () => checkpoints.read().position,
    async lag() {
      const head = await headOfWorkflows();
      const checkpoint = checkpoints.read().position;
      const positions = head === null ? 0n : checkpoint === null ? head + 1n : head > checkpoint ? head - checkpoint : 0n;
      return { head, checkpoint, positions };
    },
    waitFor: (position, { timeoutMs = 5000 } = {}) => waiters.waitFor(position, checkpoints.read().position, timeoutMs),
    skipped: () => checkpoints.skips(),
  };
  return runner;
}

function countSkip(skips: Map<string, SkipCount>, reason: SkipReason, detail: string, position: bigint): void {
  const key = `${reason}\u0000${detail}`;
  const skip = skips.get(key);
  if (skip === undefined) skips.set(key, { reason, detail, count: 1, lastPosition: position });
  else {
    skip.count += 1;
    skip.lastPosition = position;
  }
}
