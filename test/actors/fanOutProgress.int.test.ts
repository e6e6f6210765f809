import { expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { createTestEngine } from 'ecl-workflows/testing';
import { formatStatus } from '../../src/cli/formatStatus.js';

// A batch of thousands of items runs for minutes: its status says how far its fan-out is.
it("a running fan-out's status says how many of its items have an outcome, across a crash; the step's end clears it", async () => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const batch = defineWorkflow({
    name: 'batch',
    version: 1,
    input: z.object({ docs: z.array(z.string()) }),
    steps: [
      {
        kind: 'produce',
        name: 'summarize',
        run: (ctx) =>
          ctx.map(
            'doc',
            ctx.input.docs,
            async (doc, index) => {
              if (index === 3) await held;
              return doc.toUpperCase();
            },
            { concurrency: 1 },
          ),
      },
      { kind: 'produce', name: 'report', run: async (ctx) => (ctx.outputs.summarize as string[]).join(' ') },
    ],
  });
  const t = createTestEngine({ definitions: [batch] });
  await t.engine.start(batch, { docs: ['a', 'b', 'c', 'd', 'e'] }, { id: 'b1' });
  await t.whenRecorded('b1', (event) => event.type === 'CallCompleted' && event.data.call === 'doc/2');
  const during = (await t.audit('b1')).status!;
  expect(during).toMatchObject({ status: 'running', currentStep: 'summarize', progress: { step: 'summarize', fanOut: 'doc', done: 3, of: 5 } });
  expect(formatStatus(during)[0]).toBe('b1  batch v1  running · summarize: doc 3 of 5 done');
  // Each item's event says which fan-out it belongs to and how many items it has.
  expect((await t.events('b1')).find((event) => event.type === 'CallCompleted')).toMatchObject({ data: { call: 'doc/0', fanOut: { name: 'doc', items: 5 } } });

  // After a crash the recorded items are replayed, not recorded again: the count goes on from 3.
  await t.restart();
  expect((await t.audit('b1')).status).toMatchObject({ progress: { done: 3, of: 5 } });
  release();
  expect(await t.settled('b1')).toMatchObject({ status: 'completed', output: 'A B C D E' });
  const after = (await t.audit('b1')).status!;
  expect(after.progress).toBeUndefined();
  await t.close();
});
