/**
 * Records the golden histories in test/fixtures/engine from real engine runs (deterministic ids,
 * clock and offline/scripted model). Run after an intentional change to the event vocabulary:
 *   node --import tsx test/machines/support/writeGoldens.ts
 * Old files must keep folding; write new ones rather than rewriting history without an upcaster.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workflowStream } from '../../../src/eventstore/index.js';
import { createFolder, viewOf } from '../../../src/machines/index.js';
import { createSampleRegistry } from '../../support/definitions.js';
import { briefInput, createHarness, eventually, sequentialIds } from '../../actors/support/harness.js';
import { GOLDEN_DIR, type GoldenHistory } from './goldenHistories.js';

const alwaysRevise = { steps: { review: [{ output: { verdict: 'revise', feedback: 'Still too long.' } }] }, fallback: 'offline' };

const scenarios: { file: string; description: string; script?: unknown; run: (h: ReturnType<typeof createHarness>, id: string) => Promise<void> }[] = [
  {
    file: 'serial3-completed.json',
    description: 'serial3: three no-op steps, completed',
    run: async (h, id) => {
      await h.engine.start('serial3', {}, { id });
    },
  },
  {
    file: 'brief-offline-completed.json',
    description: 'brief on the offline model: one revision, approved, loaded',
    run: async (h, id) => {
      await h.engine.start('brief', briefInput(), { id });
    },
  },
  {
    file: 'brief-cap-escalated-approved.json',
    description: 'brief, reviewer always revises, maxIterations 2, escalate; a person approves',
    script: alwaysRevise,
    run: async (h, id) => {
      await h.engine.start('brief', briefInput({ maxIterations: 2 }), { id });
      await h.engine.settled(id);
      await h.engine.send(id, { type: 'APPROVE' }, { sender: 'key-1' });
    },
  },
  {
    file: 'brief-cap-granted-then-cancelled.json',
    description: 'brief, reviewer always revises, maxIterations 2, escalate; a person grants one more round, then cancels at the next cap',
    script: alwaysRevise,
    run: async (h, id) => {
      await h.engine.start('brief', briefInput({ maxIterations: 2 }), { id });
      await h.engine.settled(id);
      await h.engine.send(id, { type: 'REQUEST_REVISION', feedback: 'Five bullets at most.' }, { sender: 'key-1' });
      await h.engine.settled(id);
      await h.engine.send(id, { type: 'CANCEL', reason: 'Not needed any more' }, { sender: 'key-1' });
    },
  },
  {
    file: 'brief-cap-failed.json',
    description: 'brief, reviewer always revises, maxIterations 2, onCap fail',
    script: alwaysRevise,
    run: async (h, id) => {
      await h.engine.start('brief', briefInput({ maxIterations: 2, onCap: 'fail' }), { id });
    },
  },
  {
    file: 'brief-approval-rejected.json',
    description: 'brief with an approval gate; the person asks for a revision, then rejects',
    run: async (h, id) => {
      await h.engine.start('brief', briefInput({ approval: true }), { id });
      await h.engine.settled(id);
      await h.engine.send(id, { type: 'REQUEST_REVISION', feedback: 'Add a title.' }, { sender: 'key-2' });
      await h.engine.settled(id);
      await h.engine.send(id, { type: 'REJECT', reason: 'Wrong audience' }, { sender: 'key-2' });
    },
  },
  {
    file: 'brief-crash-resumed.json',
    description: 'brief whose draft call was in flight at shutdown; recovery re-ran it as attempt 2',
    script: { steps: { draft: [{ iteration: 1, attempt: 1, text: 'held', holdMs: 'untilAborted' }] }, fallback: 'offline' },
    run: async (h, id) => {
      await h.engine.start('brief', briefInput(), { id });
      await eventually(() => h.llm.calls.find((call) => call.step === 'draft'));
      await h.engine.close();
      h.clock.advance(60_000);
      const engine = h.restart({ newId: sequentialIds(7) });
      await engine.recover();
      await engine.settled(id);
      await engine.close();
    },
  },
];

for (const scenario of scenarios) {
  const h = createHarness({ ...(scenario.script === undefined ? {} : { script: scenario.script }), engine: { newId: sequentialIds(1) } });
  const id = scenario.file.replace(/\.json$/, '');
  await scenario.run(h, id);
  await h.engine.settled(id).catch(() => undefined);
  const records = await h.store.readStream(workflowStream(id));
  const definition = createSampleRegistry().get((records[0]?.data as { definition: string }).definition, 1);
  if (definition === undefined) throw new Error('no definition');
  const snapshot = createFolder(definition.machine).fold(records.map((record) => ({ type: record.type, data: record.data }) as never));
  const golden: GoldenHistory = {
    description: scenario.description,
    workflowId: id,
    events: records.map((record) => ({ id: record.id, revision: record.revision, type: record.type, data: record.data, metadata: record.metadata })),
    expected: {
      value: snapshot.value,
      status: viewOf(snapshot).status,
      iterations: snapshot.context.iterations,
      output: snapshot.context.output,
      reason: snapshot.context.reason,
      usage: snapshot.context.usage,
    },
  };
  writeFileSync(join(GOLDEN_DIR, scenario.file), `${JSON.stringify(golden, null, 2)}\n`);
  console.log(`${scenario.file}: ${records.length} events, ${golden.expected.status}`);
}
