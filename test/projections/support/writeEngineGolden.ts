/**
 * Records a golden history with the real engine (actor runtime, offline model, memory stores) and
 * writes it to test/fixtures/projections/ (run once: `npx tsx test/projections/support/writeEngineGolden.ts`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import { createEngine } from '../../../src/actors/index.js';
import { createMemoryArtifactStore } from '../../../src/artifacts/index.js';
import { createMemoryEventStore, workflowStream, type JsonObject } from '../../../src/eventstore/index.js';
import { createOfflineProvider } from '../../../src/llm/index.js';
import { createSampleRegistry } from '../../support/definitions.js';

const store = createMemoryEventStore({ now: () => new Date('2026-01-01T00:00:00.000Z') });
let clock = Date.parse('2026-01-01T00:00:00.000Z');
let ids = 0;
const engine = createEngine({
  store,
  llm: createOfflineProvider({ now: () => 0 }),
  artifacts: createMemoryArtifactStore(),
  logger: winston.createLogger({ silent: true }),
  definitions: createSampleRegistry(),
  now: () => new Date((clock += 250)),
  newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
});
const workflowId = 'golden-engine-offline';
await engine.start(
  'brief',
  { instructions: 'A one-page brief on Q3', documents: [{ name: 'q3.txt', text: 'Revenue grew 12% in Q3. Churn fell to 2%.' }], maxIterations: 3 },
  { id: workflowId, tenant: 'acme', sender: 'cli' },
);
const view = await engine.settled(workflowId);
await engine.close();
const events = (await store.readStream(workflowStream(workflowId))).map(({ id, type, data, metadata }) => ({ id, type, data, metadata }));
const last = events.at(-1)?.metadata as JsonObject;
const golden = {
  description: `brief v1 recorded by the engine with the offline model (ended ${view.state})`,
  workflowId,
  definition: 'brief',
  version: 1,
  finalState: JSON.parse(String(last.state)),
  lastRevision: events.length - 1,
  events,
};
writeFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'projections', 'brief-v1-engine-offline.json'), `${JSON.stringify(golden, null, 2)}\n`);
console.log(`${events.length} events, ${view.state}`);
