import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow, type StepSpec } from 'ecl-workflows';
import { createTestEngine, replayHistories } from 'ecl-workflows/testing';

const Input = z.object({ rounds: z.number().int(), onCap: z.enum(['fail', 'continue']).default('fail'), end: z.boolean().default(false) });

/** An agent loop: act until enough rounds, then summarize; `fast` is only reached when the loop's cap says continue. */
const agent = (onCap: 'fail' | 'continue') =>
  defineWorkflow({
    name: `agent_${onCap}`,
    version: 1,
    input: Input,
    outputs: { act: z.object({ round: z.number().int(), key: z.string() }) },
    steps: [
      { kind: 'produce', name: 'plan', run: async () => 'plan' },
      { kind: 'produce', name: 'act', run: async (ctx) => ({ round: ctx.iteration, key: ctx.idempotencyKey }) },
      {
        kind: 'route',
        name: 'check',
        to: ['act', 'summarize', 'completed'],
        // `outputs.act` is typed by its schema, in `choose` as in a step.
        choose: ({ input, outputs }) => (input.end ? 'completed' : (outputs.act?.round ?? 0) < input.rounds ? 'act' : 'summarize'),
        maxLoops: 3,
        onCap,
      },
      { kind: 'produce', name: 'fast', run: async () => 'fast path' },
      { kind: 'produce', name: 'summarize', run: async (ctx) => `summary after ${ctx.outputs.act?.round} rounds` },
    ],
  });

const stepsRun = (events: { type: string; data: unknown }[]) =>
  events.flatMap((event) =>
    event.type === 'StepStarted' ? [`${(event.data as { step: string }).step}#${(event.data as { iteration: number }).iteration}`] : [],
  );

describe('routing', () => {
  it('loops back under its cap, each pass a new iteration with its own idempotency key, then goes forward past the steps it skips', async () => {
    const definition = agent('fail');
    const t = createTestEngine({ definitions: [definition] });
    expect(await t.run(definition, { rounds: 3 }, { id: 'a1' })).toMatchObject({ status: 'completed', output: 'summary after 3 rounds' });
    const history = await t.history('a1');
    expect(stepsRun(history)).toEqual(['plan#1', 'act#1', 'act#2', 'act#3', 'summarize#1']);
    const routes = history.filter((event) => event.type === 'RouteChosen').map((event) => event.data);
    expect(routes).toEqual([
      { v: 1, step: 'check', chose: 'act', to: 'act', loops: 1 },
      { v: 1, step: 'check', chose: 'act', to: 'act', loops: 2 },
      { v: 1, step: 'check', chose: 'summarize', to: 'summarize', loops: 2 },
    ]);
    const keys = history.flatMap((event) => (event.type === 'StepStarted' ? [(event.data as { idempotencyKey: string }).idempotencyKey] : []));
    expect(new Set(keys).size).toBe(keys.length);
    await replayHistories([definition], [{ workflowId: 'a1', events: history }]);
    await t.close();
  });

  it('at the cap, `fail` ends the workflow naming the route, `continue` takes the step after the route', async () => {
    const failing = agent('fail');
    const continuing = agent('continue');
    const t = createTestEngine({ definitions: [failing, continuing] });
    expect(await t.run(failing, { rounds: 10 }, { id: 'a2' })).toMatchObject({ status: 'failed', reason: 'Route "check" would loop a 4th time (cap 3)' });
    expect(stepsRun(await t.history('a2'))).toEqual(['plan#1', 'act#1', 'act#2', 'act#3', 'act#4']);
    const capped = await t.run(continuing, { rounds: 10 }, { id: 'a3' });
    expect(capped).toMatchObject({ status: 'completed' });
    const history = await t.history('a3');
    expect(stepsRun(history)).toEqual(['plan#1', 'act#1', 'act#2', 'act#3', 'act#4', 'fast#1', 'summarize#1']);
    expect(history.filter((event) => event.type === 'RouteChosen').at(-1)?.data).toEqual({
      v: 1,
      step: 'check',
      chose: 'act',
      to: 'fast',
      loops: 3,
      capReached: true,
    });
    await replayHistories(
      [failing, continuing],
      [
        { workflowId: 'a2', events: await t.history('a2') },
        { workflowId: 'a3', events: history },
      ],
    );
    await t.close();
  });

  it('may end the workflow early by choosing `completed`', async () => {
    const definition = agent('fail');
    const t = createTestEngine({ definitions: [definition] });
    expect(await t.run(definition, { rounds: 3, end: true }, { id: 'a4' })).toMatchObject({ status: 'completed', output: { round: 1, key: 'a4/act/1' } });
    expect(stepsRun(await t.history('a4'))).toEqual(['plan#1', 'act#1']);
    await t.close();
  });

  it('a choose that throws, or picks a step it may not, fails the workflow with DECISION_FAILED', async () => {
    const pick = (choose: () => string) =>
      defineWorkflow({
        name: 'picky',
        version: 1,
        input: z.object({}),
        steps: [
          { kind: 'produce', name: 'a', run: async () => 1 },
          // A choose from JavaScript, which no compiler checks against `to`.
          { kind: 'route', name: 'pick', to: ['c'], choose: choose as () => 'c' },
          { kind: 'produce', name: 'b', run: async () => 2 },
          { kind: 'produce', name: 'c', run: async () => 3 },
        ],
      });
    const throwing = createTestEngine({
      definitions: [
        pick(() => {
          throw new Error('no idea');
        }),
      ],
    });
    const view = await throwing.run('picky', {}, { id: 'p1' });
    expect(view).toMatchObject({ status: 'failed', reason: 'Route "pick" failed to choose: no idea' });
    const failed = (await throwing.history('p1')).at(-1);
    expect(failed?.data).toMatchObject({ error: { code: 'DECISION_FAILED' } });
    const wrong = createTestEngine({ definitions: [pick(() => 'b')] });
    expect(await wrong.run('picky', {}, { id: 'p2' })).toMatchObject({ status: 'failed', reason: 'Route "pick" chose "b", which is not one of c' });
    await throwing.close();
    await wrong.close();
  });

  it('a decision cannot read an output moved to the artifact store: it fails naming it, and one that reads only inline outputs goes on', async () => {
    // Over the engine's default maxInlineOutputBytes (64 KiB): recorded as a reference to the artifact.
    const text = 'x'.repeat(70_000);
    const reading = (read: 'report' | 'flag') =>
      defineWorkflow({
        name: `reads_${read}`,
        version: 1,
        input: z.object({}),
        outputs: { report: z.object({ text: z.string() }), flag: z.object({ urgent: z.boolean() }) },
        steps: [
          { kind: 'produce', name: 'report', run: async () => ({ text }) },
          { kind: 'produce', name: 'flag', run: async () => ({ urgent: true }) },
          {
            kind: 'route',
            name: 'pick',
            to: ['urgent', 'calm'],
            choose: ({ outputs }) => ((read === 'report' ? (outputs.report?.text.length ?? 0) > 0 : outputs.flag?.urgent) ? 'urgent' : 'calm'),
          },
          { kind: 'produce', name: 'calm', run: async () => 'calm' },
          { kind: 'produce', name: 'urgent', run: async (ctx) => `urgent, report of ${ctx.outputs.report?.text.length}` },
        ],
      });
    const [byReport, byFlag] = [reading('report'), reading('flag')];
    const t = createTestEngine({ definitions: [byReport, byFlag] });
    const failed = await t.run(byReport, {}, { id: 'r1' });
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.reason).toMatch(/^Route "pick" failed to choose: outputs\.report is in the artifact store .*raise maxInlineOutputBytes$/);
    expect((await t.history('r1')).at(-1)?.data).toMatchObject({ error: { code: 'DECISION_FAILED' } });
    // The step itself reads the whole output back from the artifact store.
    expect(await t.run(byFlag, {}, { id: 'r2' })).toMatchObject({ status: 'completed', output: 'urgent, report of 70000' });
    const recorded = (await t.history('r2')).find((event) => event.type === 'StepCompleted' && (event.data as { step: string }).step === 'report');
    expect((recorded?.data as { output: unknown }).output).toEqual({ $artifact: expect.objectContaining({ name: expect.any(String) }) });
    // Replay decides the same from the same record: the failure too.
    await replayHistories(
      [byReport, byFlag],
      [
        { workflowId: 'r1', events: await t.history('r1') },
        { workflowId: 'r2', events: await t.history('r2') },
      ],
    );
    await t.close();
  });

  it('a validating loop inside a routed loop counts its cap per pass', async () => {
    let judged = 0;
    const definition = defineWorkflow({
      name: 'essay',
      version: 1,
      input: z.object({}),
      steps: [
        { kind: 'produce', name: 'draft', run: async (ctx) => `draft ${ctx.iteration}` },
        // Always asks for one revision per pass: with a cap of 2 per pass, each pass ends approved.
        {
          kind: 'validate',
          name: 'judge',
          maxIterations: 2,
          onCap: 'fail',
          run: async () => ({ verdict: judged++ % 2 === 0 ? ('revise' as const) : ('approve' as const), feedback: 'again' }),
        },
        {
          kind: 'route',
          name: 'again',
          to: ['draft', 'completed'],
          choose: ({ outputs }) => (outputs.draft === 'draft 4' ? 'completed' : 'draft'),
          maxLoops: 1,
          onCap: 'fail',
        },
      ],
    });
    const t = createTestEngine({ definitions: [definition] });
    expect(await t.run(definition, {}, { id: 'e1' })).toMatchObject({ status: 'completed' });
    expect(stepsRun(await t.history('e1'))).toEqual(['draft#1', 'judge#1', 'draft#2', 'judge#2', 'draft#3', 'judge#3', 'draft#4', 'judge#4']);
    await replayHistories([definition], [{ workflowId: 'e1', events: await t.history('e1') }]);
    await t.close();
  });

  it('a bad graph fails when the definition is made, naming the step', () => {
    const make = (steps: StepSpec<unknown>[]) => () => defineWorkflow({ name: 'g', version: 1, input: z.unknown(), steps });
    const a: StepSpec<unknown> = { kind: 'produce', name: 'a', run: async () => 1 };
    const v: StepSpec<unknown> = { kind: 'validate', name: 'v', maxIterations: 2, onCap: 'fail', run: async () => ({ verdict: 'approve', feedback: '' }) };
    expect(make([a, { kind: 'route', name: 'r', to: ['nowhere'], choose: () => 'nowhere' }])).toThrow(/route "r" may choose "nowhere", which is not a step/);
    expect(make([a, { kind: 'route', name: 'r', to: ['a'], choose: () => 'a' }])).toThrow(/route "r" may go back to "a": a loop needs maxLoops/);
    expect(make([a, v, { kind: 'route', name: 'r', to: ['v'], choose: () => 'v', maxLoops: 1, onCap: 'fail' }])).toThrow(/cannot choose validating step "v"/);
    expect(make([a, { kind: 'route', name: 'r', to: ['r'], choose: () => 'r', maxLoops: 1, onCap: 'fail' }])).toThrow(/route "r" cannot choose itself/);
    expect(make([a, { kind: 'route', name: 'r', to: [], choose: () => 'a' }])).toThrow(/route "r" needs at least one step/);
  });
});
