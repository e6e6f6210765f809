import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { toWorkflowEvent } from '../../src/actors/index.js';
import { createFolder, nextStep, viewOf } from '../../src/machines/index.js';
import { replayHistories } from '../../src/testing/index.js';
import { LANGUAGE_GOLDEN_DIR, goldenRecordOf, goldenRegistry, loadGoldens } from './support/goldenHistories.js';

const registry = goldenRegistry();
/** The goldens of the language's constructs (test/fixtures/engine/language). */
const languageGoldens = loadGoldens(LANGUAGE_GOLDEN_DIR).map(({ file, golden }) => ({ file: `language/${file}`, golden }));
const goldens = [...loadGoldens(), ...languageGoldens];

describe("golden histories (test/fixtures/engine) fold to their recorded states with today's code", () => {
  it('there are histories of both shipped definitions, of journaled calls, and of old payloads', () => {
    const definitions = new Set(loadGoldens().map(({ golden }) => (golden.events[0]?.data as { definition: string }).definition));
    expect(definitions).toEqual(new Set(['brief', 'serial3', 'research']));
    expect(goldens.some(({ golden }) => golden.events.some((event) => event.type === 'CallCompleted'))).toBe(true);
    expect(goldens.some(({ golden }) => golden.events.some((event) => (event.data as { v?: number }).v === undefined))).toBe(true);
  });

  it.each(goldens)('$file', ({ golden }) => {
    const started = golden.events[0]?.data as { definition: string; version: number };
    const definition = registry.get(started.definition, started.version);
    expect(definition, `${started.definition} v${started.version} must stay registered`).toBeDefined();
    const folder = createFolder(definition!.machine);
    let snapshot = folder.initial();
    for (const record of golden.events.map(goldenRecordOf(golden.workflowId))) {
      // Read as the engine reads a stream: old payloads upcast by the registry replay and the projections share.
      snapshot = folder.apply(snapshot, toWorkflowEvent(record));
      // Each event recorded the state value it led to; today's machine must agree at every step.
      expect(JSON.stringify(snapshot.value), `${record.type} at revision ${record.revision}`).toBe(record.metadata.state);
    }
    expect(snapshot.value).toEqual(golden.expected.value);
    expect(viewOf(snapshot).status).toBe(golden.expected.status);
    expect(snapshot.context.iterations).toEqual(golden.expected.iterations);
    expect(snapshot.context.output).toEqual(golden.expected.output);
    expect(snapshot.context.reason).toEqual(golden.expected.reason);
    expect(snapshot.context.usage).toEqual(golden.expected.usage);
    // A finished step leaves no journal behind.
    expect(snapshot.context.calls).toEqual([]);
    // Nothing is left to decide automatically: replay never has to derive a decision again.
    expect(['done', 'wait']).toContain(nextStep(snapshot).kind);
  });

  it.each(goldens)('$file passes replay --verify', async ({ golden }) => {
    const events = golden.events.map(goldenRecordOf(golden.workflowId));
    expect(await replayHistories(registry, [{ workflowId: golden.workflowId, events }])).toEqual([expect.objectContaining({ folded: events.length })]);
  });

  it("there are histories of every construct: a sleep (also across a restart), a signal received and timed out, a route looped and capped, recorded retries (also exhausted, also of a journaled call), a deadline, a fan-out, a child workflow (both streams), an approver's note", () => {
    const has = (file: string, found: (event: (typeof goldens)[number]['golden']['events'][number]) => boolean): boolean =>
      languageGoldens.find((golden) => golden.file === `language/${file}`)?.golden.events.some(found) ?? false;
    const data = (event: { data: unknown }) => event.data as Record<string, unknown>;
    expect(new Set(languageGoldens.map(({ golden }) => (golden.events[0]?.data as { definition: string }).definition))).toEqual(
      new Set(['napper', 'payment', 'looper', 'fetcher', 'deadliner', 'rerunner', 'grader', 'collector', 'librarian', 'reader']),
    );
    expect(has('napper-slept.json', (event) => event.type === 'SleepEnded' && event.metadata.sender === 'timer')).toBe(true);
    expect(has('payment-signal-received.json', (event) => event.type === 'SignalReceived')).toBe(true);
    expect(has('payment-signal-timed-out.json', (event) => event.type === 'SignalTimedOut' && data(event).policy === 'continue')).toBe(true);
    expect(has('looper-route-looped.json', (event) => event.type === 'RouteChosen' && data(event).to === 'act')).toBe(true);
    expect(has('looper-route-capped.json', (event) => event.type === 'RouteChosen' && data(event).capReached === true)).toBe(true);
    expect(has('fetcher-retried.json', (event) => event.type === 'StepFailed' && typeof data(event).retryAt === 'string')).toBe(true);
    expect(has('fetcher-retries-exhausted.json', (event) => event.type === 'StepFailed' && data(event).retryAt === undefined)).toBe(true);
    expect(
      has('deadliner-deadline-passed.json', (event) => event.type === 'WorkflowFailed' && (data(event).error as { code?: string }).code === 'DEADLINE_PASSED'),
    ).toBe(true);
    expect(has('rerunner-call-rerun.json', (event) => event.type === 'CallCompleted' && data(event).attempt === 2)).toBe(true);
    expect(
      has('grader-fan-out-collected.json', (event) => event.type === 'CallCompleted' && data(event).call === 'grade/1' && data(event).error !== undefined),
    ).toBe(true);
    expect(has('librarian-child-approved.json', (event) => event.type === 'HumanDecisionReceived' && data(event).note === 'Filed; publish it')).toBe(true);
    expect(has('librarian-child-approved.reader.json', (event) => event.type === 'WorkflowStarted' && data(event).parent !== undefined)).toBe(true);
  });

  it("rerunner-call-rerun: the step's second attempt replayed the recorded call and made again only the one the first attempt failed on", () => {
    const { golden } = languageGoldens.find(({ file }) => file === 'language/rerunner-call-rerun.json')!;
    expect(
      golden.events.flatMap((event) => {
        const data = event.data as { step?: string; call?: string; attempt?: number; error?: { code: string }; retryAt?: string };
        if (event.type === 'CallCompleted') return [`call ${data.call} #${data.attempt} ${data.error?.code ?? 'ok'}`];
        if (event.type === 'StepStarted' || event.type === 'StepFailed')
          return [`${event.type} ${data.step} #${data.attempt}${data.retryAt === undefined ? '' : ` retryAt ${data.retryAt}`}`];
        return [];
      }),
    ).toEqual([
      'StepStarted sync #1',
      'call order #1 ok',
      'call charge #1 RETRYABLE',
      // The step's own initialDelayMs (5 s), though the engine's maxDelayMs was 1 ms.
      'StepFailed sync #1 retryAt 2030-01-01T00:00:05.000Z',
      'StepStarted sync #2',
      'call charge #2 ok',
    ]);
    expect(golden.expected.output).toEqual({ order: 'order 7', charge: 'charged for order 7' });
  });

  it('grader-fan-out-collected: one call per item and per branch, in the journal positions taken at the fan-out; the broken item collected as an error', () => {
    const { golden } = languageGoldens.find(({ file }) => file === 'language/grader-fan-out-collected.json')!;
    const calls = golden.events
      .filter((event) => event.type === 'CallCompleted')
      .map((event) => event.data as { call: string; seq: number; error?: { code: string } });
    expect(calls.map((call) => `${call.seq} ${call.call} ${call.error?.code ?? 'ok'}`).sort()).toEqual([
      '0 grade/0 ok',
      '0 lookup/wiki ok',
      '1 grade/1 TERMINAL',
      '1 lookup/archive ok',
      '2 grade/2 ok',
    ]);
    const graded = golden.events.find((event) => event.type === 'StepCompleted')?.data as { output: { index: number; ok: boolean }[] };
    expect(graded.output.map((item) => `${item.index} ${item.ok}`)).toEqual(['0 true', '1 false', '2 true']);
  });

  it("collector-item-call-rerun: each item's calls are in its own journal; the step retry ran again only the failed item's failed call and what followed it", () => {
    const { golden } = languageGoldens.find(({ file }) => file === 'language/collector-item-call-rerun.json')!;
    expect(
      golden.events.flatMap((event) => {
        const data = event.data as { step?: string; item?: string; call?: string; seq?: number; attempt?: number; error?: { code: string } };
        if (event.type === 'CallCompleted')
          return [`${data.item === undefined ? '' : `${data.item} `}${data.call}@${data.seq} #${data.attempt} ${data.error?.code ?? 'ok'}`];
        if (event.type === 'StepStarted' || event.type === 'StepFailed') return [`${event.type} #${data.attempt}`];
        return [];
      }),
    ).toEqual([
      'StepStarted #1',
      'doc/0 fetch@0 #1 ok',
      'doc/0 summarize@1 #1 ok',
      'doc/0@0 #1 ok',
      'doc/1 fetch@0 #1 RETRYABLE',
      'doc/1@1 #1 RETRYABLE',
      'StepFailed #1',
      'StepStarted #2',
      'doc/1 fetch@0 #2 ok',
      'doc/1 summarize@1 #2 ok',
      'doc/1@1 #2 ok',
    ]);
    expect(golden.expected.output).toEqual(['summary of text of a', 'summary of text of b']);
  });

  it('librarian-child-approved: the parent records the child it waited for (id and output) and the one it only started; the child names its parent; the note is recorded', () => {
    const parent = languageGoldens.find(({ file }) => file === 'language/librarian-child-approved.json')!.golden;
    const child = languageGoldens.find(({ file }) => file === 'language/librarian-child-approved.reader.json')!.golden;
    const outputs = parent.events.filter((event) => event.type === 'CallCompleted').map((event) => (event.data as { output: unknown }).output);
    expect(outputs).toEqual([
      { workflowId: child.workflowId, output: 'notes on the charter' },
      { workflowId: expect.stringMatching(/^librarian-child-approved\.archive-[0-9a-f]{12}$/) },
    ]);
    expect((child.events[0]?.data as { parent: unknown }).parent).toEqual({ workflowId: parent.workflowId, step: 'read', call: 'notes' });
    expect(parent.events.find((event) => event.type === 'HumanDecisionReceived')).toMatchObject({
      data: { decision: 'approve', note: 'Filed; publish it' },
      metadata: { sender: 'key-1' },
    });
  });

  it('napper-slept-across-restart: the sleep came due while no engine ran; recovery recorded it ended once, late, with the recorded due time', () => {
    const { golden } = languageGoldens.find(({ file }) => file === 'language/napper-slept-across-restart.json')!;
    const sleeps = golden.events.filter((event) => event.type === 'SleepStarted' || event.type === 'SleepEnded');
    expect(
      sleeps.map((event) => `${event.type} ${(event.data as { until: string }).until} ${String(event.metadata.sender)} ${String(event.metadata.at)}`),
    ).toEqual(['SleepStarted 2030-01-01T00:30:00.000Z system 2030-01-01T00:00:00.000Z', 'SleepEnded 2030-01-01T00:30:00.000Z timer 2030-01-01T01:00:00.000Z']);
    expect(golden.events.filter((event) => event.type === 'StepStarted').map((event) => (event.data as { step: string }).step)).toEqual(['draft', 'send']);
  });

  it.each(languageGoldens)("$file folds to the same state with XState's public transition, at every revision", ({ golden }) => {
    const started = golden.events[0]?.data as { definition: string; version: number };
    const definition = registry.get(started.definition, started.version)!;
    const folder = createFolder(definition.machine);
    let [reference] = initialTransition(definition.machine);
    let snapshot = folder.initial();
    for (const record of golden.events.map(goldenRecordOf(golden.workflowId))) {
      const event = toWorkflowEvent(record);
      [reference] = transition(definition.machine, reference, event);
      snapshot = folder.apply(snapshot, event);
      expect(snapshot.value, `${record.type} at revision ${record.revision}`).toEqual(reference.value);
      expect(snapshot.context, `${record.type} at revision ${record.revision}`).toEqual(reference.context);
    }
  });

  it('research-crash-resumed: the re-run replayed the three recorded calls and made only the interrupted fourth', () => {
    const { golden } = goldens.find(({ file }) => file === 'research-crash-resumed.json')!;
    const calls = golden.events.filter((event) => event.type === 'CallCompleted').map((event) => event.data as { call: string; seq: number; attempt: number });
    expect(calls.map((call) => `${call.seq} ${call.call} #${call.attempt}`)).toEqual([
      '0 fetch pilot #1',
      '1 notes pilot #1',
      '2 fetch survey #1',
      '3 notes survey #2',
      '0 answer #1',
    ]);
    expect(
      golden.events
        .filter((event) => event.type === 'StepStarted')
        .map((event) => `${(event.data as { step: string }).step}#${(event.data as { attempt: number }).attempt}`),
    ).toEqual(['gather#1', 'gather#2', 'answer#1']);
  });
});
