import { escapeLiteral, type Pool, type PoolClient } from 'pg';
import type { Observable, Subscription } from 'rxjs';
import winston, { type Logger } from 'winston';
import { EventStoreError, isEventStoreError, type EventStore, type RecordedEvent } from '../../eventstore/index.js';
import { quoteIdentifier, toStoreError } from '../../eventstore/postgres/index.js';
import { defaultUpcasterRegistry, type UpcasterRegistry } from '../../machines/index.js';
import type { SkipCount } from '../checkpointStore.js';
import { decodeBatch } from '../decodeBatch.js';
import { isProjectionError, ProjectionError } from '../errors.js';
import { catchUpFromLog, createLogFollower, headOfWorkflows, lagOf, type BatchResult } from '../followLog.js';
import { DEFAULT_RETRY_DELAYS_MS, type ProjectionRunner } from '../projectionRunner.js';
import { DEFAULT_READ_MODELS, readModelSchemaOf } from '../readModels.js';
import { createWaiters } from '../waiters.js';
import { pgCheckpoint, type PgCheckpoint } from './pgCheckpoint.js';
import { writeReadModels } from './writeReadModels.js';

export interface PostgresProjectionRunnerOptions {
  /** Connections to the database holding the log and the read models. */
  pool: Pool;
  /** The store's schema (unquoted), where the read-model tables are. */
  schema: string;
  /** The log, read to catch up and followed live. */
  store: EventStore;
  /** Payloads of the read models' NOTIFY channel (`channelOf(schema)`), `undefined` after each (re)LISTEN. */
  notifications: Observable<string | undefined>;
  /** The database, password masked, for errors and logs. */
  where: string;
  upcasters?: UpcasterRegistry;
  /** Most events applied in one transaction. */
  batchSize?: number;
  logger?: Logger;
  /** Name of the checkpoint row. */
  name?: string;
  onFailure?: (error: unknown, retryInMs: number) => void;
  retryDelaysMs?: readonly number[];
}

export interface PostgresProjectionRunner extends Omit<ProjectionRunner, 'applyEvents' | 'skipped'> {
  applyEvents(events: readonly RecordedEvent[]): Promise<BatchResult>;
  skipped(): Promise<SkipCount[]>;
}

/** The channel on which every node's batches announce the checkpoint they committed. */
export const channelOf = (schema: string): string => `ecl_read_models:${schema}`;

interface Known {
  generation: number;
  position: bigint | null;
}

/**
 * Keeps the read models in PostgreSQL from the log. Several nodes (every `ecl serve` on the
 * database) may run it at once: each batch's transaction locks the checkpoint row `FOR UPDATE` and
 * applies only the events after the checkpoint it reads there, so every event is applied exactly
 * once whoever applies it, and a node whose batch another already applied commits nothing. Each
 * commit NOTIFYs the new checkpoint, so `waitFor` resolves on every node as soon as any node has
 * applied the position; a batch its node already heard of being applied skips the transaction.
 */
export async function createPostgresProjectionRunner(options: PostgresProjectionRunnerOptions): Promise<PostgresProjectionRunner> {
  const { pool, store, where } = options;
  const s = quoteIdentifier(options.schema);
  const name = options.name ?? 'workflows';
  const upcasters = options.upcasters ?? defaultUpcasterRegistry();
  const batchSize = options.batchSize ?? 1000;
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const schema = readModelSchemaOf(DEFAULT_READ_MODELS);
  const checkpoints = pgCheckpoint(s, name);
  const waiters = createWaiters();
  const notify = (known: Known) =>
    `SELECT pg_notify(${escapeLiteral(channelOf(options.schema))}, ${escapeLiteral(JSON.stringify({ n: name, g: known.generation, p: known.position?.toString() ?? null }))})`;

  let known: Known = { generation: 0, position: null };
  /** What this node learned of the checkpoint: from its own batches, other nodes' NOTIFY, or a read. */
  const learn = (next: Known) => {
    if (next.generation < known.generation) return;
    if (next.generation === known.generation && known.position !== null && (next.position === null || next.position <= known.position)) return;
    known = next;
    waiters.reached(next.position);
  };

  /** Runs `work` in a transaction that holds the checkpoint row; pg errors become the store's. */
  const locked = async <T>(doing: string, work: (client: PoolClient, current: Awaited<ReturnType<PgCheckpoint['lock']>>) => Promise<T>): Promise<T> => {
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      const result = await work(client, await checkpoints.lock(client));
      client.release();
      return result;
    } catch (error) {
      await client?.query('ROLLBACK').catch(() => undefined);
      client?.release(true);
      throw isProjectionError(error) || isEventStoreError(error) ? error : toStoreError(error, doing, where);
    }
  };

  const rebuildIn = async (client: PoolClient): Promise<void> => {
    const next: Known = { generation: await checkpoints.restart(client, schema), position: null };
    await client.query(`${notify(next)}; COMMIT`);
    known = next;
  };

  try {
    await checkpoints.ensure(pool);
  } catch (error) {
    throw toStoreError(error, 'opening the read models', where);
  }
  await locked('opening the read models', async (client, stored) => {
    if (stored.schema === schema) {
      await client.query('COMMIT');
      known = { generation: stored.generation, position: stored.position };
      return;
    }
    if (isNewer(stored.schema, schema)) throw otherSchema(stored.schema, schema);
    if (stored.schema === '') logger.debug('projection read models created', { schema });
    else logger.info('projection schema changed: rebuilding read models from the log', { schema, was: stored.schema });
    await rebuildIn(client);
  });

  const applyBatch = async (events: readonly RecordedEvent[], generation?: number): Promise<BatchResult | undefined> => {
    const last = events.at(-1)?.position;
    // Another node applied these already and said so: nothing to lock.
    if (generation === known.generation && last !== undefined && known.position !== null && last <= known.position)
      return { applied: 0, skipped: 0, ignored: events.length, checkpoint: known.position };
    return locked('applying a projection batch', async (client, current) => {
      if (generation !== undefined && current.generation !== generation) {
        await client.query('ROLLBACK');
        return undefined;
      }
      if (current.schema !== schema) throw otherSchema(current.schema, schema);
      const batch = decodeBatch(events, current.position, upcasters);
      await writeReadModels(client, s, batch.decoded);
      await checkpoints.countSkips(client, batch.skips);
      const next: Known = { generation: current.generation, position: batch.position };
      if (batch.position !== null && batch.position !== current.position) {
        await checkpoints.write(client, batch.position);
        await client.query(`${notify(next)}; COMMIT`);
      } else await client.query('COMMIT');
      learn(next);
      return { applied: batch.decoded.length, skipped: batch.skipped, ignored: batch.ignored, checkpoint: batch.position };
    });
  };

  const readCheckpoint = async () => {
    try {
      return await checkpoints.read(pool);
    } catch (error) {
      throw toStoreError(error, 'reading the projection checkpoint', where);
    }
  };

  const follower = createLogFollower({
    store,
    batchSize,
    logger,
    retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    onFailure: options.onFailure,
    startingPoint: readCheckpoint,
    applyBatch,
    failWaiters: (error) => waiters.failAll(error),
  });

  let heard: Subscription | undefined;
  const hear = (payload: string | undefined) => {
    if (payload === undefined) {
      // (Re)listening: what was announced meanwhile is in the row.
      readCheckpoint().then(learn, (error: unknown) => logger.warn('could not read the projection checkpoint', { error }));
      return;
    }
    let parsed: { n?: string; g?: number; p?: string | null };
    try {
      parsed = JSON.parse(payload) as typeof parsed;
    } catch {
      return;
    }
    const { n, g, p } = parsed;
    if (n === name && typeof g === 'number') learn({ generation: g, position: typeof p === 'string' ? BigInt(p) : null });
  };

  const runner: PostgresProjectionRunner = {
    applyEvents: async (events) => (await applyBatch(events))!,
    catchUp: ({ onProgress } = {}) =>
      catchUpFromLog({ store, batchSize, checkpoint: async () => (await readCheckpoint()).position, applyBatch: (events) => applyBatch(events), onProgress }),
    start() {
      heard ??= options.notifications.subscribe({ next: hear, error: () => undefined });
      follower.start();
    },
    async stop() {
      heard?.unsubscribe();
      heard = undefined;
      await follower.stop();
      waiters.failAll(new ProjectionError('PROJECTION_STOPPED', 'The projection runner stopped'));
    },
    async rebuild(catchUpOptions) {
      const wasLive = follower.halt();
      await locked('rebuilding the read models', (client) => rebuildIn(client));
      const progress = await runner.catchUp(catchUpOptions);
      if (wasLive) follower.start();
      return progress;
    },
    checkpoint: () => known.position,
    async lag() {
      const head = await headOfWorkflows(store);
      const stored = await readCheckpoint();
      learn(stored);
      return lagOf(head, stored.position);
    },
    waitFor: (position, { timeoutMs = 5000 } = {}) => waiters.waitFor(position, known.position, timeoutMs),
    skipped: async () => {
      try {
        return await checkpoints.skips(pool);
      } catch (error) {
        throw toStoreError(error, 'reading the projection skips', where);
      }
    },
  };
  return runner;
}

const versionsOf = (schema: string): Map<string, number> =>
  new Map(schema.split(',').map((part) => [part.slice(0, part.lastIndexOf('@')), Number(part.slice(part.lastIndexOf('@') + 1))]));

/** Whether `stored` has a read model at a higher version than `mine`: a newer ECL wrote it, and this one must not rebuild it back. */
function isNewer(stored: string, mine: string): boolean {
  if (stored === '') return false;
  const ours = versionsOf(mine);
  return [...versionsOf(stored)].some(([model, version]) => version > (ours.get(model) ?? 0));
}

const otherSchema = (stored: string, mine: string): Error =>
  new EventStoreError(
    'INVALID_STORE_URL',
    `The read models in PostgreSQL were built by another ECL version (${stored}; this one builds ${mine}): run the same ECL version on every node`,
  );
