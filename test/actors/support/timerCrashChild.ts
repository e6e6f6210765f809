/**
 * Child process of the timer SIGKILL test, on the system clock:
 *   timerCrashChild.ts <store.db> start
 *   timerCrashChild.ts <store.db> recover
 * `start` starts `nap-1` (crashNap) and `retry-1` (crashRetry), and prints READY once nap-1 recorded
 * its SleepStarted and retry-1 its StepFailed with a retryAt; then waits to be killed.
 * `recover` prints RECOVERING with the time, recovers the store, waits for both to finish and prints DONE with their statuses.
 */
import { writeSync } from 'node:fs';
import winston from 'winston';
import { createEngine } from '../../../src/actors/index.js';
import { createMemoryArtifactStore } from '../../../src/artifacts/index.js';
import { openEventStore, workflowStream } from '../../../src/eventstore/index.js';
import { createOfflineProvider } from '../../../src/llm/index.js';
import { createRegistry } from '../../../src/machines/index.js';
import { timerCrashDefinitions } from './timerCrashDefinitions.js';

const [storePath, mode] = process.argv.slice(2);
if (storePath === undefined || mode === undefined) throw new Error('usage: timerCrashChild.ts <store> start|recover');
const store = await openEventStore(`sqlite:${storePath}`);
const engine = createEngine({
  store,
  llm: createOfflineProvider(),
  artifacts: createMemoryArtifactStore(),
  logger: winston.createLogger({ silent: true }),
  definitions: createRegistry(timerCrashDefinitions),
});

if (mode === 'start') {
  await engine.start('crashNap', {}, { id: 'nap-1' });
  await engine.start('crashRetry', {}, { id: 'retry-1' });
  const has = async (id: string, found: (record: { type: string; data: unknown }) => boolean) => (await store.readStream(workflowStream(id))).some(found);
  for (;;) {
    const sleeping = await has('nap-1', (record) => record.type === 'SleepStarted');
    const backingOff = await has('retry-1', (record) => record.type === 'StepFailed' && (record.data as { retryAt?: string }).retryAt !== undefined);
    if (sleeping && backingOff) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  writeSync(1, `READY ${new Date().toISOString()}\n`);
  await new Promise(() => undefined);
} else {
  writeSync(1, `RECOVERING ${new Date().toISOString()}\n`);
  await engine.recover();
  const nap = await engine.settled('nap-1');
  const retry = await engine.settled('retry-1');
  await engine.close();
  await store.close();
  writeSync(1, `DONE ${nap.status} ${retry.status}\n`);
}
