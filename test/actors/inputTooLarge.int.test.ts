import { expect, it } from 'vitest';
import winston from 'winston';
import { z } from 'zod';
import { createEngine, isEngineError } from '../../src/actors/index.js';
import { createMemoryArtifactStore } from '../../src/artifacts/index.js';
import { createMemoryEventStore, workflowStream } from '../../src/eventstore/index.js';
import { createOfflineProvider } from '../../src/llm/index.js';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';

const notes = defineWorkflow({
  name: 'notes',
  version: 1,
  input: z.object({ text: z.string() }),
  steps: [{ kind: 'produce', name: 'count', run: async (ctx) => ctx.input.text.length }],
});

it('a start whose input the store cannot record in one append is INPUT_TOO_LARGE, with the sizes, and records nothing', async () => {
  const store = createMemoryEventStore({ maxAppendBytes: 4_000 });
  const engine = createEngine({
    store,
    llm: createOfflineProvider(),
    artifacts: createMemoryArtifactStore(),
    logger: winston.createLogger({ silent: true }),
    definitions: createRegistry([notes]),
  });
  try {
    const refused = await engine.start(notes, { text: 'x'.repeat(5_000) }, { id: 'n1' }).catch((error: unknown) => error);
    expect(isEngineError(refused) && refused.code).toBe('INPUT_TOO_LARGE');
    expect((refused as Error).message).toMatch(
      /^The input of notes is too large to record: its start event is \d+ bytes, over the store's limit of 4000 bytes for one append\. Pass large documents by reference/,
    );
    expect(await store.readStream(workflowStream('n1'))).toEqual([]);
    // The id is free: the same workflow with a small input starts.
    await engine.start(notes, { text: 'short' }, { id: 'n1' });
    expect(await engine.settled('n1')).toMatchObject({ status: 'completed', output: 5 });
  } finally {
    await engine.close();
  }
});
