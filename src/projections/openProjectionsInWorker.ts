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
  /** The worker thread the runner runs in now; absent when it runs in this thread. */
  thread?: {
    readonly id: number;
    /** Resolves once the projections are closed and their thread has ended. */
    exited: Promise<void>;
    /** Ends the current thread at once, as a crash would: another one takes over (how tests show recovery). */
    terminate(): Promise<void>;
  };
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

/** Waits before starting a new worker after crashes in a row; the last one repeats. */
const RESTART_DELAYS_MS: readonly number[] = [100, 1_000, 5_000, 15_000, 30_000];
/** A worker that ran this long was healthy: after its crash the delays start over. */
const HEALTHY_AFTER_MS = 60_000;

/**
 * Runs the projection runner in a worker thread, so applying events uses another core than the
 * HTTP API and engine. Queries read the read models here over a read-only connection; `waitFor`
 * resolves from the checkpoints the worker reports after each batch. A worker that crashes or
 * exits after it opened is replaced by a new one, which goes on from the checkpoint (each event
 * is still applied exactly once); reads waiting at that moment fail with the reason, later ones
 * wait for the new worker. Only a worker that cannot open at all fails the open.
 */
// Compiled (dist/) the worker is plain JavaScript; run from the TypeScript sources (tests, bench)
// it needs tsx's loader, which worker threads do not inherit, so a small .mjs entry registers it.
const WORKER_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./projectionWorkerEntry.mjs', import.meta.url)
  : new URL('./projectionWorker.js', import.meta.url);

export async function openProjectionsInWorker(options: OpenProjectionsInWorkerOptions): Promise<LiveProjections> {
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const path = projectionDatabasePathFor(options.storeUrl, options.projectionsPath);
  const workerData: ProjectionWorkerData = {
    storeUrl: options.storeUrl,
    projectionsPath: path,
    commits: new Int32Array(new SharedArrayBuffer(4)),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  };
  const waiters = createWaiters();
  let checkpoint: bigint | null = null;
  /** Why these projections cannot be used (the first worker did not open); set once. */
  let failure: Error | undefined;
  let opened = false;
  let closing = false;
  /** `start` was asked: a replacement worker follows the log too. */
  let following = false;
  let crashesInARow = 0;
  let restart: NodeJS.Timeout | undefined;
  const replies = new Map<FromProjectionWorker['type'], { resolve: (message: never) => void; reject: (error: Error) => void }>();

  const rejectReplies = (error: Error) => {
    for (const reply of replies.values()) reply.reject(error);
    replies.clear();
  };
  const fail = (error: Error) => {
    failure ??= error;
    rejectReplies(error);
    waiters.failAll(error);
  };

  const spawn = () => {
    const worker = new Worker(WORKER_ENTRY, { workerData });
    const startedAt = Date.now();
    const stopped = (error: Error) => crashed(worker, startedAt, error);
    worker.on('message', (message: FromProjectionWorker) => {
      if (worker !== current.worker) return;
      if (message.type === 'log') logger.log(message.level, message.message, message.meta);
      else if (message.type === 'checkpoint') {
        checkpoint = message.position;
        waiters.reached(checkpoint);
      } else if (message.type === 'runnerFailed') {
        // The runner logged why and follows the log again by itself; reads waiting now learn why.
        waiters.failAll(new Error(`The projections failed (${message.message}); they follow the log again in ${message.retryInMs} ms`));
      } else if (message.type === 'failed') {
        stopped(new Error(`The projection worker failed: ${message.message}`));
      } else {
        if (message.type === 'opened' || message.type === 'caughtUp') checkpoint = message.type === 'opened' ? message.checkpoint : message.progress.checkpoint;
        waiters.reached(checkpoint);
        replies.get(message.type)?.resolve(message as never);
        replies.delete(message.type);
      }
    });
    worker.on('error', (error) => stopped(new Error(`The projection worker crashed: ${error.message}`, { cause: error })));
    const exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        stopped(new Error(`The projection worker exited (code ${code})`));
        resolve();
      }),
    );
    return { worker, exited };
  };

  /** The worker in use stopped without being asked to: fail what waits on it and start another. */
  const crashed = (worker: Worker, startedAt: number, error: Error) => {
    if (worker !== current.worker || restart !== undefined || failure !== undefined) return;
    rejectReplies(error);
    if (closing) return;
    if (!opened) return fail(error);
    if (Date.now() - startedAt >= HEALTHY_AFTER_MS) crashesInARow = 0;
    const delay = RESTART_DELAYS_MS[Math.min(crashesInARow, RESTART_DELAYS_MS.length - 1)]!;
    crashesInARow += 1;
    logger.error('projection worker stopped: starting another', { error: error.message, inMs: delay, crashesInARow });
    waiters.failAll(error);
    void worker.terminate();
    restart = setTimeout(replace, delay);
    restart.unref();
  };

  const replace = () => {
    restart = undefined;
    if (closing) return;
    const startedAt = Date.now();
    try {
      current = spawn();
    } catch (error) {
      // No thread could be made (out of memory, too many threads): count it as a crash and wait longer.
      return crashed(current.worker, startedAt, error instanceof Error ? error : new Error(String(error)));
    }
    ask('opened')
      .then(() => {
        if (closing) return;
        if (following) current.worker.postMessage({ type: 'start' } satisfies ToProjectionWorker);
        logger.info('projection worker started again', { checkpoint: checkpoint?.toString() ?? null });
      })
      .catch(() => undefined); // its crash has already scheduled the next attempt
  };

  const ask = <T extends FromProjectionWorker['type']>(reply: T, message?: ToProjectionWorker): Promise<Extract<FromProjectionWorker, { type: T }>> => {
    if (failure !== undefined) return Promise.reject(failure);
    if (restart !== undefined) return Promise.reject(new Error('The projection worker crashed and is being replaced: try again shortly'));
    return new Promise((resolve, reject) => {
      replies.set(reply, { resolve, reject });
      if (message !== undefined) current.worker.postMessage(message);
    });
  };

  let current = spawn();
  let db: ProjectionDatabase;
  try {
    await ask('opened');
    db = openProjectionReader(path);
    opened = true;
  } catch (error) {
    closing = true;
    await current.worker.terminate();
    throw error;
  }
  let closed: Promise<void> | undefined;
  let ended!: () => void;
  const exited = new Promise<void>((resolve) => (ended = resolve));
  const queries = createProjectionQueries(db, options.isRegistered === undefined ? {} : { isRegistered: options.isRegistered });

  const headOfWorkflows = async (): Promise<bigint | null> =>
    (await options.store.readAll({ fromPosition: 'end', direction: 'backwards', limit: 1, filter: WORKFLOW_FILTER }))[0]?.position ?? null;

  return {
    path,
    queries,
    thread: {
      get id() {
        return current.worker.threadId;
      },
      exited,
      terminate: async () => void (await current.worker.terminate()),
    },
    committed() {
      Atomics.add(workerData.commits, 0, 1);
      Atomics.notify(workerData.commits, 0);
    },
    runner: {
      catchUp: async () => (await ask('caughtUp', { type: 'catchUp' })).progress,
      start: () => {
        following = true;
        if (restart === undefined) current.worker.postMessage({ type: 'start' } satisfies ToProjectionWorker);
      },
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
        clearTimeout(restart);
        // A worker that already stopped (waiting to be replaced) has nothing to stop.
        if (restart === undefined)
          await ask('stopped', { type: 'stop' }).catch((error: unknown) => logger.warn('projection worker did not stop cleanly', { error }));
        await current.worker.terminate();
        await current.exited;
        db.close();
        waiters.failAll(new ProjectionError('PROJECTION_STOPPED', 'The projection runner stopped'));
        ended();
      })()),
  };
}
