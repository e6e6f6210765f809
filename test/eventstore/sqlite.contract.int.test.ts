import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openEventStore } from '../../src/eventstore/index.js';
import { eventStoreContract } from '../contracts/eventStore.contract.js';

const folder = mkdtempSync(join(tmpdir(), 'ecl-sqlite-contract-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let count = 0;

eventStoreContract('sqlite', async () => ({ store: await openEventStore(`sqlite:${join(folder, `store-${++count}.db`)}`) }));
