/**
 * Records the golden histories in test/fixtures/engine from real engine runs (deterministic ids,
 * clock and offline/scripted model). Run after an intentional change to the event vocabulary:
 *   node --import tsx test/machines/support/writeGoldens.ts [file.json ...]
 * It writes only the files that do not exist yet (or the ones named): old files must keep folding;
 * write new ones rather than rewriting history without an upcaster.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toWorkflowEvent } from '../../../src/actors/index.js';
import { workflowStream, type EventToAppend } from '../../../src/eventstore/index.js';
import { createFolder, viewOf } from '../../../src/machines/index.js';
import { briefInput, createHarness, eventually, sequentialIds } from '../../actors/support/harness.js';
import type { LlmScript } from '../../../src/llm/index.js';
import { GOLDEN_DIR, type GoldenHistory, LANGUAGE_GOLDEN_DIR, goldenRegistry } from './goldenHistories.js';

const alwaysRevise: LlmScript = { steps: { review: [{ output: { verdict: 'revise', feedback: 'Still too long.' } }] }, fallback: 'offline' };
const researchInput = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/research/input.json'), 'utf8')) as unknown;

const HOUR = 3_600_000;

const scenarios: {
  file: string;
  description: string;
  /** The folder it goes to (default GOLDEN_DIR). */
  dir?: string;
  /** Also writes the stream of the first child workflow it started (from its CallCompleted), to this file. */
  childFile?: string;
  id?: string;
  script?: LlmScript;
  run: (h: ReturnType<typeof createHarness>, id: string) => Promise<void>;
}[] = [
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
      await h.clock.advance(60_000);
      const engine = h.restart({ newId: sequentialIds(7) });
      await engine.recover();
      await engine.settled(id);
      await engine.close();
    },
  },
  {
    file: 'research-crash-resumed.json',
    description:
      "research (examples/research): the process stopped during gather's fourth journaled call; attempt 2 replayed the three recorded calls and made only the interrupted one again",
    script: {
      steps: {
        gather: [
          { attempt: 1, times: 1, text: 'Pages per engineer fell 40%.' },
          { attempt: 1, holdMs: 'untilAborted', text: 'held' },
        ],
      },
      fallback: 'offline',
    },
    run: async (h, id) => {
      await h.engine.start('research', researchInput, { id });
      await eventually(() => h.llm.calls.filter((call) => call.step === 'gather').length === 2 || undefined);
      await h.engine.close();
      await h.clock.advance(60_000);
      const engine = h.restart({ newId: sequentialIds(7) });
      await engine.recover();
      await engine.settled(id);
      await engine.close();
    },
  },
  {
    file: 'brief-legacy-resumed.json',
    id: 'golden-legacy',
    description:
      "brief v1 whose first six events carry v0 payloads (no `v`; StepCompleted `result`/`usage`, no `attempt`), written before payloads were versioned; today's engine upcast them, resumed the review as attempt 2 and finished",
    run: async (h, id) => {
      const legacy = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/projections/brief-v1-legacy-payloads.json'), 'utf8')) as {
        events: EventToAppend[];
      };
      const ids = sequentialIds(9);
      await h.store.append(
        workflowStream(id),
        legacy.events.slice(0, 6).map((event) => ({ ...event, id: ids() })),
        { expectedRevision: 'no_stream' },
      );
      await h.engine.settled(id);
    },
  },
  // The timed and routed constructs (test/machines/support/languageDefinitions.ts), in LANGUAGE_GOLDEN_DIR.
  {
    file: 'napper-slept.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description: 'napper: draft, a 90-minute durable sleep (SleepStarted with its due time, SleepEnded by the timer), then send; completed',
    run: async (h, id) => {
      await h.engine.start('napper', { minutes: 90 }, { id });
      await h.clock.runUntil(h.engine.settled(id));
    },
  },
  {
    file: 'napper-slept-across-restart.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description:
      'napper: the engine stopped during a 30-minute sleep and came back an hour later; recovery recorded the late SleepEnded (with the recorded due time) once, and the workflow completed',
    run: async (h, id) => {
      await h.engine.start('napper', { minutes: 30 }, { id });
      await eventually(() => h.clock.pending > 0 || undefined);
      await h.engine.close();
      await h.clock.advance(HOUR);
      const engine = h.restart({ newId: sequentialIds(7) });
      await engine.recover();
      await h.clock.runUntil(engine.settled(id));
      await engine.close();
    },
  },
  {
    file: 'payment-signal-received.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description:
      'payment: waits for the typed `paid` signal; data refused by its schema records nothing; the valid signal is the step output the receipt reads',
    run: async (h, id) => {
      await h.engine.start('payment', { customer: 'Ada', patienceMs: 24 * HOUR }, { id });
      await h.engine.settled(id);
      const refused = await h.engine.send(id, { type: 'paid', data: { amount: -1, currency: 'EUR' } }, { sender: 'key-1' });
      if (refused.accepted) throw new Error('bad signal data was accepted');
      await h.engine.send(id, { type: 'paid', data: { amount: 12.5, currency: 'EUR' } }, { sender: 'key-1' });
    },
  },
  {
    file: 'payment-signal-timed-out.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description:
      'payment: the `paid` signal did not come within patienceMs; SignalTimedOut (policy continue) by the timer, the receipt reads a null output; completed',
    run: async (h, id) => {
      await h.engine.start('payment', { customer: 'Bob', patienceMs: HOUR }, { id });
      await h.engine.settled(id);
      await h.clock.advance(HOUR);
    },
  },
  {
    file: 'looper-route-looped.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description: 'looper, rounds 2: the route loops back to act once (RouteChosen loops 1), then chooses summarize; completed',
    run: async (h, id) => {
      await h.engine.start('looper', { rounds: 2 }, { id });
    },
  },
  {
    file: 'looper-route-capped.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description:
      'looper, rounds 10: the route loops back twice (maxLoops 2); the third back-edge reaches the cap (capReached, onCap continue) and goes on to summarize',
    run: async (h, id) => {
      await h.engine.start('looper', { rounds: 10 }, { id });
    },
  },
  {
    file: 'fetcher-retried.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description: 'fetcher, failures 2: two failed attempts recorded with their retryAt (10 s, then 20 s later), the third attempt completes',
    run: async (h, id) => {
      await h.engine.start('fetcher', { failures: 2 }, { id });
      await h.clock.runUntil(h.engine.settled(id));
    },
  },
  {
    file: 'fetcher-retries-exhausted.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description: 'fetcher, failures 9: four recorded attempts (maxAttempts 4), the last StepFailed without retryAt; failed',
    run: async (h, id) => {
      await h.engine.start('fetcher', { failures: 9 }, { id });
      await h.clock.runUntil(h.engine.settled(id));
    },
  },
  {
    file: 'deadliner-deadline-passed.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description:
      'deadliner, hours 2: the deadline is recorded at start; it passes while the workflow waits for `approved`; failed by the timer with DEADLINE_PASSED',
    run: async (h, id) => {
      await h.engine.start('deadliner', { hours: 2 }, { id });
      await h.engine.settled(id);
      await h.clock.advance(2 * HOUR);
    },
  },
  {
    file: 'rerunner-call-rerun.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description:
      "rerunner: the step's second ctx.run failed retryably on attempt 1 (CallCompleted with the error, StepFailed with retryAt); attempt 2 replayed `order` and ran `charge` again, recorded as attempt 2; completed",
    run: async (h, id) => {
      await h.engine.start('rerunner', {}, { id });
      await h.clock.runUntil(h.engine.settled(id));
    },
  },
  {
    file: 'grader-fan-out-collected.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description:
      'grader: ctx.map over three documents, two at a time, the broken one collected as an item error (grade/0..2); then ctx.parallel over two fixed branches (lookup/wiki, lookup/archive); completed',
    run: async (h, id) => {
      await h.engine.start(
        'grader',
        {
          documents: [
            { id: 'a', broken: false },
            { id: 'bb', broken: true },
            { id: 'ccc', broken: false },
          ],
        },
        { id },
      );
    },
  },
  {
    file: 'collector-item-call-rerun.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description:
      "collector: ctx.map over two documents, each item making two journaled calls of its own (call.run, CallCompleted with `item`); item b's fetch failed retryably on attempt 1 (its item failed, StepFailed with retryAt); attempt 2 replayed item a whole, ran b's fetch and summarize again; completed",
    run: async (h, id) => {
      await h.engine.start('collector', { docs: ['a', 'b'] }, { id });
      await h.clock.runUntil(h.engine.settled(id));
    },
  },
  {
    file: 'librarian-child-approved.json',
    childFile: 'librarian-child-approved.reader.json',
    dir: LANGUAGE_GOLDEN_DIR,
    description:
      "librarian: a waited-for reader child (its CallCompleted carries the child's id and output), a second child started without waiting, then an approval a person gave with a note; completed",
    run: async (h, id) => {
      await h.engine.start('librarian', { document: 'the charter' }, { id });
      await h.engine.settled(id);
      await h.engine.send(id, { type: 'APPROVE', note: 'Filed; publish it' }, { sender: 'key-1' });
    },
  },
];

const only = process.argv.slice(2);
for (const scenario of scenarios) {
  const dir = scenario.dir ?? GOLDEN_DIR;
  if (only.length > 0 ? !only.includes(scenario.file) : existsSync(join(dir, scenario.file))) continue;
  const h = createHarness({
    ...(scenario.script === undefined ? {} : { script: scenario.script }),
    definitions: goldenRegistry(),
    engine: { newId: sequentialIds(1) },
  });
  const id = scenario.id ?? scenario.file.replace(/\.json$/, '');
  await scenario.run(h, id);
  await h.engine.settled(id).catch(() => undefined);
  await writeGolden(h, dir, scenario.file, scenario.description, id);
  if (scenario.childFile !== undefined) {
    const child = (await h.store.readStream(workflowStream(id))).find((record) => record.type === 'CallCompleted');
    const childId = (child?.data as { output?: { workflowId?: string } } | undefined)?.output?.workflowId;
    if (childId === undefined) throw new Error(`${scenario.file}: no child workflow was started`);
    await h.engine.settled(childId);
    await writeGolden(h, dir, scenario.childFile, `the child ${childId} of ${scenario.file}`, childId);
  }
}

async function writeGolden(h: ReturnType<typeof createHarness>, dir: string, file: string, description: string, id: string): Promise<void> {
  const records = await h.store.readStream(workflowStream(id));
  const definition = goldenRegistry().get((records[0]?.data as { definition: string }).definition, 1);
  if (definition === undefined) throw new Error('no definition');
  // Folded as the engine reads: old payloads upcast.
  const snapshot = createFolder(definition.machine).fold(records.map(toWorkflowEvent));
  const golden: GoldenHistory = {
    description,
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
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), `${JSON.stringify(golden, null, 2)}\n`);
  console.log(`${file}: ${records.length} events, ${golden.expected.status}`);
}
