/**
 * Child process of the fan-out SIGKILL tests:
 *   fanOutCrashChild.ts <store.db> start <definition> <id> <input json> <ready lines>
 *   fanOutCrashChild.ts <store.db> recover <id>
 * `start` starts the workflow and prints READY once the log file holds every line of `<ready lines>`
 * (comma-separated) and the workflow's stream holds `<calls>` CallCompleted, then waits to be killed.
 * `recover` recovers the store, drives the workflow to its end and prints DONE.
 */
import { existsSync, readFileSync, writeSync } from 'node:fs';
import winston from 'winston';
import { createEngine } from '../../../src/actors/index.js';
import { createMemoryArtifactStore } from '../../../src/artifacts/index.js';
import { openEventStore, workflowStream } from '../../../src/eventstore/index.js';
import { createOfflineProvider } from '../../../src/llm/index.js';
import { createRegistry } from '../../../src/machines/index.js';
import { crashDefinitions } from './fanOutCrashDefinitions.js';

const [storePath, mode, ...rest] = process.argv.slice(2);
if (storePath === undefined || mode === undefined) throw new Error('usage: fanOutCrashChild.ts <store> start|recover ...');
const store = await openEventStore(`sqlite:${storePath}`);
const engine = createEngine({
  store,
  llm: createOfflineProvider(),
  artifacts: createMemoryArtifactStore(),
  logger: winston.createLogger({ silent: true }),
  definitions: createRegistry(crashDefinitions),
});

if (mode === 'start') {
  const [definition, id, input, readyLines, calls] = rest as [string, string, string, string, string];
  await engine.start(definition, JSON.parse(input), { id });
  const logged = () => (existsSync(process.env.ECL_TEST_LOG as string) ? readFileSync(process.env.ECL_TEST_LOG as string, 'utf8').split('\n') : []);
  for (;;) {
    const recorded = (await store.readStream(workflowStream(id))).filter((record) => record.type === 'CallCompleted').length;
    if (readyLines.split(',').every((line) => logged().includes(line)) && recorded >= Number(calls)) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  writeSync(1, 'READY\n');
  await new Promise(() => undefined);
} else {
  const [id] = rest as [string];
  await engine.recover();
  const view = await engine.settled(id);
  await engine.close();
  await store.close();
  writeSync(1, `DONE ${view.status}\n`);
}
