import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import winston from 'winston';
import { z } from 'zod';
import { createEngine } from '../../src/actors/index.js';
import { createMemoryArtifactStore } from '../../src/artifacts/index.js';
import { type EventStore, createMemoryEventStore, workflowStream } from '../../src/eventstore/index.js';
import { createOfflineProvider } from '../../src/llm/index.js';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';

// A large fan-out's journal grows the workflow's snapshot past the store's append limit. The
// snapshot is a cache: once it cannot be written, the engine must not try again (serialising the
// whole state) at every further event, which made a 5,000-item fan-out six times slower.
const batch = defineWorkflow({
  name: 'batch',
  version: 1,
  input: z.object({ items: z.number().int() }),
  steps: [
    {
      kind: 'produce',
      name: 'process',
      run: (ctx) =>
        ctx.map(
          'doc',
          Array.from({ length: ctx.input.items }, (_, index) => index),
          async (index) => `item ${index} `.padEnd(200, '.'),
          { concurrency: 1 },
        ),
    },
  ],
});

it('a snapshot over the append limit is tried again only snapshotEvery events later, and the log says what happened once per try', async () => {
  const memory = createMemoryEventStore({ maxAppendBytes: 16_000 });
  let snapshotWrites = 0;
  const store: EventStore = {
    ...memory,
    append(stream, events, options) {
      if (stream.startsWith('ecl.snapshot-')) snapshotWrites++;
      return memory.append(stream, events, options);
    },
  };
  const warnings: string[] = [];
  const logger = winston.createLogger({
    level: 'warn',
    transports: [
      new winston.transports.Stream({
        stream: new Writable({ objectMode: true, write: (entry: { error?: string }, _encoding, done) => done(void warnings.push(entry.error ?? '')) }),
      }),
    ],
  });
  const engine = createEngine({
    store,
    logger,
    llm: createOfflineProvider(),
    artifacts: createMemoryArtifactStore(),
    definitions: createRegistry([batch]),
    snapshotEvery: 20,
    // The step's output (every item's) goes to an artifact; the journal in the snapshot stays whole.
    maxInlineOutputBytes: 4_000,
  });
  await engine.start(batch, { items: 300 }, { id: 'b1' });
  expect(await engine.settled('b1')).toMatchObject({ status: 'completed' });
  await engine.close();
  const events = (await memory.readStream(workflowStream('b1'))).length;
  expect(events).toBeGreaterThan(300);
  // One try per 20 events at most (the first few fit; the rest are over 16 kB), not one per event.
  expect(snapshotWrites).toBeGreaterThan(2);
  expect(snapshotWrites).toBeLessThanOrEqual(Math.ceil(events / 20) + 1);
  expect(warnings.length).toBeGreaterThan(0);
  expect(warnings.length).toBeLessThan(snapshotWrites);
  expect(warnings[0]).toMatch(
    /^Snapshot of workflow b1 at revision \d+ not written: Append to "ecl\.snapshot-b1" is \d+ bytes, over the limit of 16000 bytes.*It is loaded by folding its stream instead; tried again at its next snapshot point$/,
  );
});
