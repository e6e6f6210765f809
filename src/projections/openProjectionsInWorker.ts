import { Worker } from 'node:worker_threads';
import winston, { type Logger } from 'winston';
import type { EventStore } from '../eventstore/index.js';
import { ProjectionError } from './errors.js';
import type { OpenedProjections } from './openProjections.js';
import { openProjectionReader, projectionDatabasePathFor, type ProjectionDatabase } from './projectionDatabase.js';
import { createProjectionQueries } from './projectionQueries.js';
import { WORKFLOW_FILTER, type ProjectionRunner } from './projectionRunner.js';
import type { FromProjectionWorker, ProjectionWorkerData, ToProjectionWorker } from './projectionWorkerProtocol.js';
import type { IsRegistered } from './statusQueries.js';
import { createWaiters } from './waiters.js';

/** What a server needs of its projections, wherever the runner runs. */
export interface LiveProjections extends Pick<OpenedProjections, 'queries' | 'path' | 'close'> {
  runner: Pick<ProjectionRunner, 'catchUp' | 'start' | 'lag' | 'waitFor' | 'checkpoint'>;
  /** The worker thread the runner runs in; absent when it runs in this thread. */
  thread?: { id: number; exited: Promise<void> };
  /** Call after this thread appended: a runner in another thread then reads at once, not at its next poll. */
  committed?(): void;
}

export interface OpenProjectionsInWorkerOptions {
  /** A `sqlite:` URL: the worker opens its own connection to it. */
  storeUrl: string;
  /** This thread's open store, read for the head in `lag()`; not closed by `close`. */
  store: EventStore;
  projectionsPath?: string;
  isRegistered?: IsRegistered;
  logger?: Logger;
  /** How often the worker polls for commits, for those `committed()` was not told of (store default 50 ms). */
  pollIntervalMs?: number;
}

/**
 * Runs the projection runner in a worker thread, so applying events uses another core than the
 * HTTP API and engine. Queries read the read models here over a read-only connection; `waitFor`
 * resolves from the checkpoints the worker reports after each batch.
 */
export async function openProjectionsInWorker(options: OpenProjectionsInWorkerOptions): Promise<LiveProjections> {
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const path = projectionDatabasePathFor(options.storeUrl, options.projectionsPath);
  const workerData: ProjectionWorkerData = { storeUrl: options.storeUrl, projectionsPath: path, ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }) };
  const worker = new Worker(new URL('./projectionWorkerEntry.mjs', import.meta.url), { workerData });
  const waiters = createWaiters();
  let checkpoint: bigint | null = null;
  let failure: Error | undefined;
  const replies = new Map<FromProjectionWorker['type'], { resolve: (message: never) => void; reject: (error: Error) => void }>();

  const fail = (error: Error) => {
    failure ??= error;
    for (const reply of replies.values()) reply.reject(error);
    replies.clear();
    waiters.failAll(error);
  };
  const ask = <T extends FromProjectionWorker['type']>(reply: T, message?: ToProjectionWorker): Promise<Extract<FromProjectionWorker, { type: T }>> => {
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      replies.set(reply, { resolve, reject });
      if (message !== undefined) worker.postMessage(message);
    });
  };

  worker.on('message', (message: FromProjectionWorker) => {
    if (message.type === 'log') logger.log(message.level, message.message, message.meta);
    else if (message.type === 'checkpoint') {
      checkpoint = message.position;
      waiters.reached(checkpoint);
    } else if (message.type === 'failed') {
      logger.error('projection worker failed', { error: message.message });
      fail(new Error(`The projection worker failed: ${message.message}`));
    } else {
      if (message.type === 'opened' || message.type === 'caughtUp') checkpoint = message.type === 'opened' ? message.checkpoint : message.progress.checkpoint;
      waiters.reached(checkpoint);
      replies.get(message.type)?.resolve(message as never);
      replies.delete(message.type);
    }
  });
  let closing = false;
  worker.on('error', (error) => {
    logger.error('projection worker crashed', { error });
    fail(new Error(`The projection worker crashed: ${error.message}`, { cause: error }));
  });
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      if (!closing) {
        logger.error('projection worker exited', { code });
        fail(new Error(`The projection worker exited (code ${code})`));
      }
      resolve();
    }),
  );

  let db: ProjectionDatabase;
  try {
    await ask('opened');
    db = openProjectionReader(path);
  } catch (error) {
    closing = true;
    await worker.terminate();
    throw error;
  }
  let closed: Promise<void> | undefined;
  // Appends acknowledged in one turn of the event loop (a group commit) make one message.
  let nudging = false;
  const nudge = () => {
    nudging = false;
    if (!closing && failure === undefined) worker.postMessage({ type: 'committed' } satisfies ToProjectionWorker);
  };
  const queries = createProjectionQueries(db, options.isRegistered === undefined ? {} : { isRegistered: options.isRegistered });

  const headOfWorkflows = async (): Promise<bigint | null> =>
    (await options.store.readAll({ fromPosition: 'end', direction: 'backwards', limit: 1, filter: WORKFLOW_FILTER }))[0]?.position ?? null;

  return {
    path,
    queries,
    thread: { id: worker.threadId, exited },
    committed() {
      if (nudging) return;
      nudging = true;
      setImmediate(nudge);
    },
    runner: {
      catchUp: async () => (await ask('caughtUp', { type: 'catchUp' })).progress,
      start: () => worker.postMessage({ type: 'start' } satisfies ToProjectionWorker),
      async lag() {
        const head = await headOfWorkflows();
        const positions = head === null ? 0n : checkpoint === null ? head + 1n : head > checkpoint ? head - checkpoint : 0n;
        return { head, checkpoint, positions };
      },
      waitFor(position, { timeoutMs = 5000 } = {}) {
        if (failure !== undefined && (checkpoint === null || checkpoint < position)) return Promise.reject(failure);
        return waiters.waitFor(position, checkpoint, timeoutMs);
      },
      checkpoint: () => checkpoint,
    },
    close: () =>
      (closed ??= (async () => {
        closing = true;
        await ask('stopped', { type: 'stop' }).catch((error: unknown) => logger.warn('projection worker did not stop cleanly', { error }));
        await worker.terminate();
        await exited;
        db.close();
        waiters.failAll(new ProjectionError('PROJECTION_STOPPED', 'The projection runner stopped'));
      })()),
  };
}
