/**
 * The body of the projection worker thread (see openProjectionsInWorker): its own store connection,
 * the read models' writer and the runner, reporting checkpoints and logs to the server thread.
 */
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { Subject } from 'rxjs';
import winston from 'winston';
import { openEventStore } from '../eventstore/index.js';
import { openProjectionDatabase } from './projectionDatabase.js';
import { createProjectionRunner } from './projectionRunner.js';
import type { FromProjectionWorker, ProjectionWorkerData, ToProjectionWorker } from './projectionWorkerProtocol.js';

const port = parentPort!;
const { storeUrl, projectionsPath, pollIntervalMs, commits } = workerData as ProjectionWorkerData;
const post = (message: FromProjectionWorker) => port.postMessage(message);
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

// Log records go to the server thread's logger; a record that cannot be cloned goes as text.
const logger = winston.createLogger({
  level: 'debug',
  transports: [
    new winston.transports.Stream({
      stream: new Writable({
        objectMode: true,
        write({ level, message, ...meta }: { level: string; message: string }, _encoding, done) {
          try {
            post({ type: 'log', level, message, meta });
          } catch {
            post({ type: 'log', level, message, meta: { detail: JSON.stringify(meta) } });
          }
          done();
        },
      }),
    }),
  ],
});

try {
  const commitsElsewhere = new Subject<void>();
  const store = await openEventStore(storeUrl, { logger, commitsElsewhere, ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }) });
  const db = openProjectionDatabase(projectionsPath);
  const runner = createProjectionRunner({
    store,
    db,
    logger,
    onCheckpoint: (position) => post({ type: 'checkpoint', position }),
    onFailure: (error, retryInMs) => post({ type: 'runnerFailed', message: errorText(error), retryInMs }),
  });
  let watching = true;
  void (async () => {
    for (let seen = Atomics.load(commits, 0); watching; seen = Atomics.load(commits, 0)) {
      const wait = Atomics.waitAsync(commits, 0, seen);
      if (wait.async) await wait.value;
      commitsElsewhere.next();
    }
  })();
  port.on('message', async (message: ToProjectionWorker) => {
    try {
      if (message.type === 'catchUp') post({ type: 'caughtUp', progress: await runner.catchUp() });
      else if (message.type === 'start') runner.start();
      else {
        watching = false;
        Atomics.notify(commits, 0);
        await runner.stop();
        db.close();
        await store.close();
        post({ type: 'stopped' });
        port.close();
      }
    } catch (error) {
      logger.error('projection worker failed', { error });
      post({ type: 'failed', message: errorText(error) });
    }
  });
  post({ type: 'opened', checkpoint: runner.checkpoint() });
} catch (error) {
  post({ type: 'failed', message: errorText(error) });
}
