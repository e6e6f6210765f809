import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCallFailed, type Engine, type EngineCommand, type WorkflowView } from '../../src/actors/index.js';
import { workflowStream } from '../../src/eventstore/index.js';
import { LlmError, isLlmError, type LlmProvider, type LlmRequest, type LlmResult } from '../../src/llm/index.js';
import { createFolder, createRegistry, defineWorkflow, foldWithTransition, type JsonValue, TERMINAL_EVENT_TYPES } from '../../src/machines/index.js';
import { replayHistories } from '../../src/testing/index.js';
import { brief } from '../support/definitions.js';
import { briefInput, createHarness } from './support/harness.js';

/** A model whose reviewer answers from a generated list of verdicts (then approves); other steps echo. */
function scriptedVerdicts(verdicts: readonly ('approve' | 'revise')[]): LlmProvider {
  let reviews = 0;
  return {
    name: 'property',
    async complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>> {
      const base = { model: 'prop-1', usage: { inputTokens: 3, outputTokens: 2 }, costUsd: 0.001, latencyMs: 0, attempts: 1, promptHash: 'p' };
      if (request.tool !== undefined) {
        const verdict = verdicts[reviews++] ?? 'approve';
        return { ...base, text: '', output: { verdict, feedback: `feedback ${reviews}` } as T };
      }
      return { ...base, text: `${request.context.step} ${request.context.iteration}` };
    },
  };
}

const command = fc.oneof(
  fc.constant({ type: 'APPROVE' }),
  fc.record({ type: fc.constant('REJECT'), reason: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ type: fc.constant('REQUEST_REVISION'), feedback: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ type: fc.constant('CANCEL'), reason: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.constant({ type: 'NOT_A_COMMAND' }),
);

describe('determinism: state = fold(stored stream)', () => {
  it('random commands and model verdicts through a live workflow: folding its stream gives exactly the live snapshot', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxIterations: fc.integer({ min: 1, max: 4 }),
          onCap: fc.constantFrom('fail', 'accept', 'escalate'),
          approval: fc.boolean(),
          verdicts: fc.array(fc.constantFrom('approve', 'revise'), { maxLength: 8 }),
          commands: fc.array(fc.record({ command, settleFirst: fc.boolean() }), { maxLength: 6 }),
        }),
        async ({ verdicts, commands, ...policy }) => {
          const h = createHarness({ llm: scriptedVerdicts(verdicts) });
          await h.engine.start('brief', briefInput(policy), { id: 'p1' });
          for (const { command: next, settleFirst } of commands) {
            if (settleFirst) await h.engine.settled('p1');
            await h.engine.send('p1', next as EngineCommand);
          }
          const live = await h.engine.settled('p1');
          const events = await h.events('p1');

          const folded = createFolder(brief.machine).fold(events);
          expect(folded.value).toEqual(live.value);
          expect(folded.context).toEqual(live.context);
          const reference = foldWithTransition(brief.machine, events);
          expect(reference.value).toEqual(live.value);
          expect(reference.context).toEqual(live.context);

          // Nothing after a terminal event; each (step, iteration, attempt) has at most one outcome.
          const terminal = events.findIndex((event) => (TERMINAL_EVENT_TYPES as readonly string[]).includes(event.type));
          expect(terminal === -1 || terminal === events.length - 1).toBe(true);
          const outcomes = events.flatMap((event) =>
            event.type === 'StepCompleted' || event.type === 'StepFailed' ? [`${event.data.step}/${event.data.iteration}/${event.data.attempt}`] : [],
          );
          expect(new Set(outcomes).size).toBe(outcomes.length);

          // Passivated and rehydrated, it is the same again.
          await h.engine.passivate();
          const rehydrated = await h.engine.get('p1');
          expect(rehydrated?.value).toEqual(live.value);
          expect(rehydrated?.context).toEqual(live.context);
          await h.engine.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Crashes in the middle of a step with journaled calls.

const CallPlan = z.object({ kind: z.enum(['run', 'complete']), fails: z.boolean() });
const CrashInput = z.object({ calls: z.array(CallPlan).min(1), verdicts: z.array(z.enum(['approve', 'revise'])), maxIterations: z.number().int().min(1) });
type CrashInput = z.infer<typeof CrashInput>;

/** Where the current test crashes: `<iteration>:<call index>#<attempt>` → how. */
const crashes = new Map<string, 'kill' | 'shutdown'>();
/** Every time a call really ran (its function, or the model): `<iteration>:<call index>#<attempt>`. */
let ran: string[] = [];
/** Crash points reached and not handled yet (a restarted engine may reach the next before the test waits for it). */
let reached: string[] = [];
let wake: (() => void) | undefined;
const nextCrash = (): Promise<string> =>
  new Promise((resolve) => {
    const check = (): void => {
      const key = reached.shift();
      wake = key === undefined ? check : undefined;
      if (key !== undefined) resolve(key);
    };
    check();
  });

const hangUntilAborted = (signal: AbortSignal | undefined) =>
  new Promise<never>((_resolve, reject) => {
    if (signal?.aborted === true) reject(new Error('aborted'));
    else signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });

/** Runs one planned call: logs it, crashes there if planned, fails if planned. */
async function perform(key: string, signal: AbortSignal | undefined, fails: boolean): Promise<void> {
  ran.push(key);
  if (crashes.has(key)) {
    reached.push(key);
    wake?.();
    await hangUntilAborted(signal);
  }
  if (fails) throw Object.assign(new Error(`call ${key} failed`), { code: 'BOOM' });
}

/** A model whose answers depend only on the prompt; it crashes and fails where planned, and reports what each call cost. */
const plannedModel: LlmProvider = {
  name: 'planned',
  async complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>> {
    const { index, fails } = JSON.parse(request.messages[0]!.content) as { index: number; fails: boolean };
    const key = `${request.context.iteration}:${index}#${request.context.attempt}`;
    const accounting = {
      model: 'planned-1',
      usage: { inputTokens: 10 + index, outputTokens: 3 },
      costUsd: 0.001 * (index + 1),
      latencyMs: 0,
      attempts: 1,
      promptHash: `p${index}`,
    };
    try {
      await perform(key, request.signal, fails);
    } catch (error) {
      if (request.signal?.aborted === true) throw new LlmError('CANCELLED', 'aborted');
      throw new LlmError('BAD_REQUEST', (error as Error).message, { accounting });
    }
    return { text: `answer ${request.context.iteration}:${index}`, ...accounting };
  },
};

/** `work` makes the planned calls (failures caught: the step goes on); `check` judges from the recorded input alone. */
const crashy = defineWorkflow({
  name: 'crashy',
  version: 1,
  input: CrashInput,
  steps: [
    {
      kind: 'produce',
      name: 'work',
      run: async (ctx) => {
        const results: string[] = [];
        for (const [index, plan] of ctx.input.calls.entries()) {
          const key = () => `${ctx.iteration}:${index}#${ctx.attempt}`;
          try {
            if (plan.kind === 'run')
              results.push(await ctx.run(`call ${index}`, async () => (await perform(key(), ctx.signal, plan.fails), `result ${ctx.iteration}:${index}`)));
            else
              results.push(
                (await ctx.complete({ name: `ask ${index}`, messages: [{ role: 'user', content: JSON.stringify({ index, fails: plan.fails }) }] })).text,
              );
          } catch (error) {
            if (!isCallFailed(error) && !isLlmError(error)) throw error;
            results.push(`failed ${(error as { code: string }).code}`);
          }
        }
        return results;
      },
    },
    {
      kind: 'validate',
      name: 'check',
      run: async (ctx) => ({ verdict: ctx.input.verdicts[ctx.iteration - 1] ?? 'approve', feedback: `round ${ctx.iteration}` }),
      maxIterations: (input) => input.maxIterations,
      onCap: 'accept',
    },
  ],
});

const seen = { kill: 0, shutdown: 0, inARerun: 0, revised: 0, failedCalls: 0 };

describe('determinism with crashes in the middle of a step', () => {
  it('random journaled calls, failures and crashes (killed or shut down) mid-call: the workflow completes, no recorded call runs twice, each interrupted call runs exactly once more, state = fold(stream), and replay --verify holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          calls: fc.array(fc.record({ kind: fc.constantFrom('run' as const, 'complete' as const), fails: fc.boolean() }), { minLength: 1, maxLength: 6 }),
          verdicts: fc.array(fc.constantFrom('approve' as const, 'revise' as const), { maxLength: 3 }),
          maxIterations: fc.integer({ min: 1, max: 3 }),
          // Mostly in the first iteration and early calls, so most runs crash at least once; sometimes again in the re-run.
          crashAt: fc.array(
            fc.record({
              iteration: fc.constantFrom(1, 1, 2, 3),
              index: fc.nat(3),
              attempt: fc.constantFrom(1, 1, 2),
              mode: fc.constantFrom('kill' as const, 'shutdown' as const),
            }),
            { minLength: 1, maxLength: 4 },
          ),
        }),
        async ({ crashAt, ...input }) => {
          crashes.clear();
          ran = [];
          reached = [];
          wake = undefined;
          for (const crash of crashAt) if (crash.index < input.calls.length) crashes.set(`${crash.iteration}:${crash.index}#${crash.attempt}`, crash.mode);
          const definitions = createRegistry([crashy]);
          const h = createHarness({ llm: plannedModel, definitions });
          const dead: Engine[] = [];
          let engine = h.engine;
          await engine.start('crashy', input, { id: 'c1' });
          let live: WorkflowView;
          for (;;) {
            const outcome = await Promise.race([engine.settled('c1').then((view) => ({ view })), nextCrash().then((key) => ({ key }))]);
            if ('view' in outcome) {
              live = outcome.view;
              break;
            }
            // SIGKILL: the engine is simply abandoned mid-call. Shutdown: close() aborts the call, which records nothing.
            const mode = crashes.get(outcome.key) ?? 'kill';
            seen[mode] += 1;
            if (outcome.key.endsWith('#2')) seen.inARerun += 1;
            if (mode === 'shutdown') await engine.close();
            else dead.push(engine);
            engine = h.restart();
            await engine.recover();
          }
          expect(live.status).toBe('completed');
          const events = await h.events('c1');

          // state = fold(stream), fast and reference; rehydrated = live.
          const folded = createFolder(crashy.machine).fold(events);
          expect(folded.value).toEqual(live.value);
          expect(folded.context).toEqual(live.context);
          expect(foldWithTransition(crashy.machine, events).context).toEqual(live.context);
          await engine.passivate();
          expect((await engine.get('c1'))?.context).toEqual(live.context);

          // Each call of each iteration is recorded once, at its position; it ran once, plus once per crash in it.
          const iterations = live.context.iterations.work ?? 1;
          if (iterations > 1) seen.revised += 1;
          if (events.some((event) => event.type === 'CallCompleted' && event.data.error !== undefined)) seen.failedCalls += 1;
          const recorded = events.flatMap((event) => (event.type === 'CallCompleted' ? [event.data] : []));
          for (let iteration = 1; iteration <= iterations; iteration++) {
            const mine = recorded.filter((call) => call.iteration === iteration);
            expect(mine.map((call) => call.seq).sort((a, b) => a - b)).toEqual(input.calls.map((_call, index) => index));
            expect(new Set(mine.map((call) => call.call)).size).toBe(input.calls.length);
            for (let index = 0; index < input.calls.length; index++) {
              const runs = ran.filter((key) => key.startsWith(`${iteration}:${index}#`));
              const crashesHere = runs.filter((key) => crashes.has(key)).length;
              expect(runs.length, `call ${iteration}:${index} ran ${runs.join(', ')}`).toBe(1 + crashesHere);
              // The recorded outcome is that of the run that was not interrupted.
              expect(mine.find((call) => call.seq === index)?.attempt).toBe(Number(runs.at(-1)?.split('#')[1]));
            }
            // The step's outcome totals every model call of the iteration once.
            const outcome = events.find((event) => event.type === 'StepCompleted' && event.data.step === 'work' && event.data.iteration === iteration);
            const tokens = mine.reduce((total, call) => total + (call.llm?.inputTokens ?? 0), 0);
            expect(outcome?.type === 'StepCompleted' ? (outcome.data.llm?.inputTokens ?? 0) : -1).toBe(tokens);
          }
          // At most one outcome per (step, iteration, attempt); nothing after the terminal event.
          const outcomes = events.flatMap((event) =>
            event.type === 'StepCompleted' || event.type === 'StepFailed' ? [`${event.data.step}/${event.data.iteration}/${event.data.attempt}`] : [],
          );
          expect(new Set(outcomes).size).toBe(outcomes.length);
          expect(events.at(-1)?.type).toBe('WorkflowCompleted');

          // replay --verify holds on the recorded history.
          expect(await replayHistories(definitions, [{ workflowId: 'c1', events: await h.store.readStream(workflowStream('c1')) }])).toHaveLength(1);
          await engine.close();
          for (const old of dead) await old.close();
        },
      ),
      { numRuns: 60 },
    );
    // The runs crashed both ways, also in a re-run attempt, and went through revisions and recorded failures.
    expect(seen.kill).toBeGreaterThan(5);
    expect(seen.shutdown).toBeGreaterThan(5);
    expect(seen.inARerun).toBeGreaterThan(0);
    expect(seen.revised).toBeGreaterThan(5);
    expect(seen.failedCalls).toBeGreaterThan(5);
  });
});

// ---------------------------------------------------------------------------------------------
// Crashes in the middle of a fan-out (ctx.map), with random item outcomes, `first` and concurrency.

const FanInput = z.object({ fails: z.array(z.boolean()).min(1), first: z.number().int().optional(), concurrency: z.number().int(), collect: z.boolean() });

/**
 * The "process" an item runs in: a crash point bumps it at once, as a SIGKILL would end everything
 * there; an item of an older epoch (the dead engine) neither starts nor returns, so nothing after
 * the crash point happens in the dead engine.
 */
let epoch = 0;
/** Item runs that started in a live engine: `<index>#<attempt>`; and those that returned or threw to the journal. */
let itemStarts: string[] = [];
let itemEscapes: string[] = [];
/** Runs of the items' own journaled calls (`call.run`) in a live engine: `<index>:<call>#<attempt>`. */
let itemCallRuns: string[] = [];
/** Where the current run crashes: `<index>#<attempt>` → how. */
const itemCrashes = new Map<string, 'kill' | 'shutdown'>();

const fanny = defineWorkflow({
  name: 'fanny',
  version: 1,
  input: FanInput,
  steps: [
    {
      kind: 'produce',
      name: 'fan',
      run: async (ctx) => {
        const mine = epoch;
        const outcomes = await ctx.map(
          'items',
          ctx.input.fails,
          async (fails, index, call) => {
            const key = `${index}#${ctx.attempt}`;
            if (mine !== epoch) await hangUntilAborted(call.signal);
            itemStarts.push(key);
            const effect = (name: string) => async () => {
              if (mine !== epoch) await hangUntilAborted(call.signal);
              itemCallRuns.push(`${index}:${name}#${ctx.attempt}`);
              return `${name} ${index}`;
            };
            await call.run('before', effect('before'));
            // Only a live engine crashes: one already dead (a sibling crashed while this item ran its call) stays inert below.
            if (itemCrashes.has(key) && mine === epoch) {
              epoch += 1;
              reached.push(key);
              wake?.();
              await hangUntilAborted(call.signal);
            }
            await call.run('after', effect('after'));
            if (mine !== epoch) await hangUntilAborted(call.signal);
            itemEscapes.push(`${index}`);
            if (fails) throw Object.assign(new Error(`item ${index} failed`), { code: 'ITEM_BOOM' });
            return `item ${index}`;
          },
          {
            onItemError: ctx.input.collect ? 'collect' : 'fail',
            concurrency: ctx.input.concurrency,
            ...(ctx.input.first === undefined ? {} : { first: ctx.input.first }),
          },
        );
        if (mine !== epoch) await hangUntilAborted(ctx.signal);
        return outcomes as JsonValue;
      },
    },
  ],
});

describe('determinism with crashes in the middle of a fan-out', () => {
  it('random item outcomes, first: k, concurrency and crashes mid-item: no recorded item (or item call) runs again, each interrupted item runs at most once more, the join is recorded once and the result is what it names, state = fold(stream), replay --verify holds', async () => {
    const fanSeen = { kill: 0, shutdown: 0, first: 0, failedFast: 0, itemCalls: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          fails: fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
          first: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
          concurrency: fc.integer({ min: 1, max: 3 }),
          collect: fc.boolean(),
          crashAt: fc.array(fc.record({ index: fc.nat(5), attempt: fc.constantFrom(1, 1, 2), mode: fc.constantFrom('kill' as const, 'shutdown' as const) }), {
            minLength: 1,
            maxLength: 3,
          }),
        }),
        async ({ crashAt, ...planned }) => {
          const input = { ...planned, first: planned.first === undefined ? undefined : Math.min(planned.first, planned.fails.length) };
          itemCrashes.clear();
          itemStarts = [];
          itemEscapes = [];
          itemCallRuns = [];
          reached = [];
          wake = undefined;
          epoch += 1;
          for (const crash of crashAt) if (crash.index < input.fails.length) itemCrashes.set(`${crash.index}#${crash.attempt}`, crash.mode);
          const definitions = createRegistry([fanny]);
          const h = createHarness({ definitions });
          const dead: Engine[] = [];
          let engine = h.engine;
          let restarts = 0;
          await engine.start('fanny', input, { id: 'f1' });
          let live: WorkflowView;
          for (;;) {
            const outcome = await Promise.race([engine.settled('f1').then((view) => ({ view })), nextCrash().then((key) => ({ key }))]);
            if ('view' in outcome) {
              live = outcome.view;
              break;
            }
            const mode = itemCrashes.get(outcome.key) ?? 'kill';
            fanSeen[mode] += 1;
            restarts += 1;
            if (mode === 'shutdown') await engine.close();
            else dead.push(engine);
            engine = h.restart();
            await engine.recover();
          }
          const events = await h.events('f1');
          const itemErrors = events.flatMap((event) => (event.type === 'CallCompleted' && event.data.error !== undefined ? [event.data] : []));
          // Under 'fail', the workflow fails when an item error was recorded, with that item's code, naming the item — unless
          // `first` was met and its join recorded: an item that was still running then may have recorded its error, and the join decides.
          const joined = events.some((event) => event.type === 'CallCompleted' && event.data.call === 'items/first');
          if (!input.collect && itemErrors.length > 0 && !joined) {
            fanSeen.failedFast += 1;
            expect(live.status).toBe('failed');
            const failed = events.find((event) => event.type === 'StepFailed');
            expect(failed?.type === 'StepFailed' && failed.data.error).toMatchObject({
              code: 'ITEM_BOOM',
              message: expect.stringMatching(/^Item \d+ of fan-out "items" \(call "items\/\d+"\) failed: item \d+ failed$/),
            });
          } else expect(live.status).toBe('completed');
          expect(createFolder(fanny.machine).fold(events).context).toEqual(live.context);
          expect(foldWithTransition(fanny.machine, events).context).toEqual(live.context);

          const recorded = events.flatMap((event) => (event.type === 'CallCompleted' ? [event.data] : []));
          const items = recorded.filter((call) => call.item === undefined && call.call !== 'items/first');
          // Each item's own calls: recorded at most once each, at their position in the item; none ran again in an attempt after the one that recorded it.
          const itemCalls = recorded.filter((call) => call.item !== undefined);
          expect(new Set(itemCalls.map((call) => `${call.item}:${call.call}`)).size).toBe(itemCalls.length);
          for (const call of itemCalls) {
            expect(call.seq).toBe(call.call === 'before' ? 0 : 1);
            const index = Number(call.item?.split('/')[1]);
            const later = itemCallRuns.filter((run) => run.startsWith(`${index}:${call.call}#`) && Number(run.split('#')[1]) > call.attempt);
            expect(later, `items/${index} ${call.call} recorded by attempt ${call.attempt}`).toEqual([]);
            fanSeen.itemCalls += call.attempt < live.context.current!.attempt ? 1 : 0;
          }
          // A recorded item recorded both its calls first.
          for (const item of items) if (item.error === undefined) expect(itemCalls.filter((call) => call.item === item.call)).toHaveLength(2);
          // Each item recorded at most once, at the position of its index; none escaped its function twice.
          expect(new Set(items.map((call) => call.call)).size).toBe(items.length);
          for (const call of items) expect(call.call).toBe(`items/${call.seq}`);
          for (let index = 0; index < input.fails.length; index++) expect(itemEscapes.filter((key) => key === `${index}`).length).toBeLessThanOrEqual(1);
          // An item ran at most once per attempt (again only after a crash interrupted it: in it, or in a sibling while it ran
          // its own calls), and a recorded item last ran in the attempt that recorded it: never after.
          for (let index = 0; index < input.fails.length; index++) {
            const attempts = itemStarts.filter((key) => key.startsWith(`${index}#`)).map((key) => Number(key.split('#')[1]));
            expect(new Set(attempts).size, `item ${index}: ${attempts.join(', ')}`).toBe(attempts.length);
            expect(attempts.length).toBeLessThanOrEqual(1 + restarts);
            const recordedItem = items.find((call) => call.seq === index);
            if (recordedItem !== undefined) expect(Math.max(...attempts), `item ${index}: ${attempts.join(', ')}`).toBe(recordedItem.attempt);
          }
          const output = (
            input.collect ? live.output : ((live.output ?? []) as string[]).map((value) => ({ index: Number(value.split(' ')[1]), ok: true }))
          ) as {
            index: number;
            ok: boolean;
          }[];
          if (live.status === 'failed') {
            // Nothing more to compare: the step failed at the recorded item error.
          } else if (input.first === undefined) {
            expect(output.map((entry) => entry.index)).toEqual(input.fails.map((_fails, index) => index));
            expect(output.map((entry) => entry.ok)).toEqual(input.fails.map((fails) => !fails));
          } else {
            fanSeen.first += 1;
            const joins = recorded.filter((call) => call.call === 'items/first');
            expect(joins).toHaveLength(1);
            const join = joins[0]?.output as { won: number[]; failed: number[] };
            expect(output.map((entry) => entry.index)).toEqual([...join.won, ...join.failed].sort((a, b) => a - b));
            expect(join.won.length).toBe(Math.min(input.first, input.fails.filter((fails) => !fails).length));
            for (const index of join.won) expect(input.fails[index]).toBe(false);
          }
          expect(events.at(-1)?.type).toBe(live.status === 'failed' ? 'WorkflowFailed' : 'WorkflowCompleted');
          expect(await replayHistories(definitions, [{ workflowId: 'f1', events: await h.store.readStream(workflowStream('f1')) }])).toHaveLength(1);
          await engine.close();
          for (const old of dead) await old.close();
        },
      ),
      { numRuns: 80 },
    );
    expect(fanSeen.kill).toBeGreaterThan(5);
    expect(fanSeen.shutdown).toBeGreaterThan(5);
    expect(fanSeen.first).toBeGreaterThan(5);
    expect(fanSeen.failedFast).toBeGreaterThan(5);
    // Item calls recorded by an earlier attempt were replayed by a later one.
    expect(fanSeen.itemCalls).toBeGreaterThan(5);
  });
});
