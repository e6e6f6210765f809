/**
 * Child process of the projection crash test:
 *   crashChild.ts <store.db> <projections.db> <batchSize> [crashAfter]
 * Catches the projection up from the SQLite store; prints DONE when it got to the head.
 */
import { writeSync } from 'node:fs';
import { openEventStore } from '../../../src/eventstore/openEventStore.js';
import { DEFAULT_READ_MODELS, createProjectionRunner, openProjectionDatabase } from '../../../src/projections/index.js';
import { applicationCounter } from './applicationCounter.js';

const [storePath, projectionPath, batchSize, crashAfter] = process.argv.slice(2);
if (storePath === undefined || projectionPath === undefined || batchSize === undefined)
  throw new Error('usage: crashChild.ts <store> <projections> <batchSize> [crashAfter]');
const store = await openEventStore(`sqlite:${storePath}`);
const db = openProjectionDatabase(projectionPath);
const runner = createProjectionRunner({
  store,
  db,
  batchSize: Number(batchSize),
  readModels: [...DEFAULT_READ_MODELS, applicationCounter(crashAfter === undefined ? undefined : Number(crashAfter))],
});
await runner.catchUp();
db.close();
await store.close();
writeSync(1, 'DONE\n');
