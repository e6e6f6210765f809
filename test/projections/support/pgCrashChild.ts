/**
 * Child process of the PostgreSQL projection crash test:
 *   pgCrashChild.ts <store url> <batchSize>
 * Catches the read models in PostgreSQL up from the log; prints DONE when it got to the head.
 */
import { writeSync } from 'node:fs';
import { openEventStore } from '../../../src/eventstore/openEventStore.js';
import { openPostgresProjections } from '../../../src/projections/postgres/index.js';

const [storeUrl, batchSize] = process.argv.slice(2);
if (storeUrl === undefined || batchSize === undefined) throw new Error('usage: pgCrashChild.ts <store url> <batchSize>');
const store = await openEventStore(storeUrl);
const projections = await openPostgresProjections({ storeUrl, store, batchSize: Number(batchSize) });
await projections.runner.catchUp();
await projections.close();
await store.close();
writeSync(1, 'DONE\n');
