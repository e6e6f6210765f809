import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import winston from 'winston';
import { createMemoryArtifactStore } from '../../src/artifacts/index.js';
import { type Clock, type Engine, type EngineCommand, RetryableError, createEngine } from '../../src/actors/index.js';
import { createMemoryEventStore, workflowStream } from '../../src/eventstore/index.js';
import { createOfflineProvider } from '../../src/llm/index.js';
import { createFolder, createRegistry, defineWorkflow, foldWithTransition, TERMINAL_EVENT_TYPES, type WorkflowEvent } from '../../src/machines/index.js';
import { createManualClock, replayHistories, type ManualClock } from '../../src/testing/index.js';

/**
 * Determinism of the timed constructs (issue 13): a route loop, a durable sleep, a signal with a
 * timeout, a flaky step whose failed attempts are retried at a recorded due time, and a workflow
 * deadline, driven by random interleavings of signals (valid, invalid, unknown), clock advances,
 * CANCEL and crashes (the engine abandoned, its timers dead, a new engine on the same store recovers).
 */

const Plan = z.object({
  /** Per iteration of `work`: how many of its first attempts fail with a RetryableError. */
  fails: z.array(z.number().int().min(0).max(3)),
  napMs: z.number().int().min(0),
  patienceMs: z.number().int().min(1),
  deadlineMs: z.number().int().min(1),
});
type Plan = z.infer<typeof Plan>;

const hangUntilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(new Error('aborted'));
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
const forever = (): Promise<never> => new Promise<never>(() => undefined);

/** Each engine lives in an epoch; a crash ends it, and nothing a dead engine started may return. */
let epoch = 0;
/** `<iteration>#<attempt>` of `work` where the step hangs (in flight) until the engine dies or aborts it. */
const hangAt = new Set<string>();
/** Hang points reached in a live engine, not handled yet. */
let reached: string[] = [];
/** Every time `work` really ran (`<iteration>#<attempt>`), and every time it returned an output (`<iteration>`). */
let ran: string[] = [];
let returned: string[] = [];

type Variant = { onCap: 'fail' | 'continue'; onTimeout: 'fail' | 'continue'; onPass: 'fail' | 'cancel' };

const timely = ({ onCap, onTimeout, onPass }: Variant) =>
  defineWorkflow({
    name: `timely_${onCap}_${onTimeout}_${onPass}`,
    version: 1,
    input: Plan,
    deadline: { afterMs: (input) => input.deadlineMs, onPass },
    steps: [
      {
        kind: 'produce',
        name: 'work',
        retry: { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 4_000 },
        run: async (ctx) => {
          const mine = epoch;
          const key = `${ctx.iteration}#${ctx.attempt}`;
          ran.push(key);
          if (hangAt.has(key)) {
            reached.push(key);
            await hangUntilAborted(ctx.signal);
          }
          // A dead engine's step never comes back (its process is gone).
          if (mine !== epoch) await forever();
          if (ctx.attempt <= (ctx.input.fails[ctx.iteration - 1] ?? 0)) throw new RetryableError(`busy at ${key}`);
          returned.push(`${ctx.iteration}`);
          return { iteration: ctx.iteration, attempt: ctx.attempt };
        },
      },
      { kind: 'sleep', name: 'nap', for: ({ input }) => input.napMs },
      {
        kind: 'signal',
        name: 'ok',
        signal: 'go',
        schema: z.object({ again: z.boolean() }),
        timeoutMs: ({ input }) => input.patienceMs,
        onTimeout,
      },
      {
        kind: 'route',
        name: 'loop',
        to: ['work', 'finish'],
        choose: ({ outputs }) => ((outputs.ok as { again?: boolean } | null | undefined)?.again === true ? 'work' : 'finish'),
        maxLoops: 2,
        onCap,
      },
      { kind: 'produce', name: 'finish', run: async (ctx) => ({ rounds: (ctx.outputs.work as { iteration: number }).iteration }) },
    ],
  });

const VARIANTS: Variant[] = (['fail', 'continue'] as const).flatMap((onCap) =>
  (['fail', 'continue'] as const).flatMap((onTimeout) => (['fail', 'cancel'] as const).map((onPass) => ({ onCap, onTimeout, onPass }))),
);
const DEFINITIONS = VARIANTS.map(timely);

/** A clock for one engine "process": its timers fire only while it lives (a SIGKILL takes them along). */
function processClock(master: ManualClock): { clock: Clock; kill: () => void } {
  let alive = true;
  return {
    clock: {
      now: () => master.now(),
      setTimer: (callback, delayMs) =>
        master.setTimer(() => {
          if (alive) callback();
        }, delayMs),
      clearTimer: (handle) => master.clearTimer(handle),
    },
    kill: () => {
      alive = false;
    },
  };
}

const Action = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('signal' as const), again: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'badData' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wrongName' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(500, 1_000, 2_000, 4_000, 10_000, 30_000) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'nextTimer' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
  // Down for a while before the new engine starts: due times may pass while no engine runs.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), downMs: fc.constantFrom(0, 0, 5_000, 60_000) }) },
);
type Action = typeof Action extends fc.Arbitrary<infer A> ? A : never;

const isTerminal = (type: string): boolean => (TERMINAL_EVENT_TYPES as readonly string[]).includes(type);
const bigintSafe = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

const seen = {
  completed: 0,
  failed: 0,
  cancelled: 0,
  deadline: 0,
  crashes: 0,
  crashesMidStep: 0,
  retried: 0,
  slept: 0,
  timedOut: 0,
  looped: 0,
  capped: 0,
  downtime: 0,
};

describe('determinism of timers, signals, routes, retries and deadlines under crashes', () => {
  it('random signals, clock advances, CANCEL and crashes: the workflow ends or waits consistently, state = fold(stream) throughout, no (step, iteration) completes twice, idempotency keys are per (step, iteration), replay --verify holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          variant: fc.nat(VARIANTS.length - 1),
          plan: fc.record({
            fails: fc.array(fc.constantFrom(0, 0, 1, 2, 3), { minLength: 3, maxLength: 3 }),
            napMs: fc.constantFrom(0, 1_000, 5_000, 20_000),
            patienceMs: fc.constantFrom(2_000, 10_000, 60_000),
            deadlineMs: fc.constantFrom(15_000, 60_000, 600_000, 3_600_000),
          }),
          hangs: fc.array(fc.record({ iteration: fc.constantFrom(1, 1, 2, 3), attempt: fc.constantFrom(1, 1, 2, 3) }), { maxLength: 3 }),
          actions: fc.array(Action, { minLength: 1, maxLength: 14 }),
          /** What the drive to the end answers a waiting signal with, in turn (then `again: false`). */
          answers: fc.array(fc.constantFrom(true, true, true, false), { maxLength: 4 }),
        }),
        async ({ variant, plan, hangs, actions, answers }) => {
          const definition = DEFINITIONS[variant]!;
          epoch += 1;
          hangAt.clear();
          for (const hang of hangs) hangAt.add(`${hang.iteration}#${hang.attempt}`);
          reached = [];
          ran = [];
          returned = [];
          const store = createMemoryEventStore();
          const master = createManualClock();
          const registry = createRegistry([definition]);
          const make = (): { engine: Engine; kill: () => void } => {
            const life = processClock(master);
            const engine = createEngine({
              store,
              clock: life.clock,
              llm: createOfflineProvider({ now: () => 0 }),
              artifacts: createMemoryArtifactStore(),
              logger: winston.createLogger({ silent: true }),
              definitions: registry,
            });
            return { engine, kill: life.kill };
          };
          const dead: Engine[] = [];
          let current = make();
          const id = 't1';
          const records = () => store.readStream(workflowStream(id));
          const events = async (): Promise<WorkflowEvent[]> => (await records()).map((record) => ({ type: record.type, data: record.data }) as WorkflowEvent);
          const raw = async (): Promise<string> => JSON.stringify(await records(), bigintSafe);

          /** Lets the engine work until its stream has not grown for a while (no wall-clock sleeping). */
          const quiesce = async (): Promise<void> => {
            let length = -1;
            for (let still = 0, turn = 0; still < 30; turn++) {
              if (turn > 20_000) throw new Error('the engine never came to rest');
              await new Promise((resolve) => setImmediate(resolve));
              const now = (await records()).length;
              still = now === length ? still + 1 : 0;
              length = now;
            }
          };
          /** state = fold(stream): the fold of the stored events is the live view. */
          const checkFold = async (): Promise<void> => {
            const live = await current.engine.get(id);
            const folded = createFolder(definition.machine).fold(await events());
            expect(folded.value).toEqual(live?.value);
            expect(folded.context).toEqual(live?.context);
          };
          const crash = async (downMs = 0): Promise<void> => {
            seen.crashes += 1;
            if (reached.length > 0) seen.crashesMidStep += 1;
            // SIGKILL: the engine is abandoned as it is, its timers die with it, its step in flight never returns.
            current.kill();
            dead.push(current.engine);
            epoch += 1;
            reached = [];
            if (downMs > 0) {
              seen.downtime += 1;
              await master.advance(downMs);
            }
            current = make();
            await current.engine.recover();
            await quiesce();
          };
          /** A refused command records nothing: the stream is byte-for-byte what it was. */
          const refused = async (command: unknown, codes: string[]): Promise<void> => {
            const before = await raw();
            const result = await current.engine.send(id, command as EngineCommand);
            expect(result.accepted).toBe(false);
            if (!result.accepted) expect(codes).toContain(result.code);
            await quiesce();
            expect(await raw()).toBe(before);
          };

          await current.engine.start(definition, plan, { id });
          await quiesce();
          await checkFold();
          for (const action of actions) {
            const view = await current.engine.get(id);
            if (view === undefined) throw new Error('no view');
            switch (action.kind) {
              case 'signal': {
                const result = await current.engine.send(id, { type: 'go', data: { again: action.again } });
                // Accepted exactly when the workflow waits for it; a refusal changes nothing.
                expect(result.accepted).toBe(view.accepts.includes('go'));
                break;
              }
              case 'badData':
                await refused(
                  { type: 'go', data: { again: 'yes' } },
                  view.accepts.includes('go') ? ['INVALID_COMMAND'] : ['INVALID_COMMAND', 'COMMAND_NOT_ALLOWED'],
                );
                break;
              case 'wrongName':
                await refused({ type: 'went', data: { again: true } }, ['COMMAND_NOT_ALLOWED', 'UNKNOWN_COMMAND']);
                break;
              case 'cancel': {
                if (view.accepts.includes('CANCEL')) {
                  const result = await current.engine.send(id, { type: 'CANCEL', reason: 'random' });
                  expect(result.accepted).toBe(true);
                } else await refused({ type: 'CANCEL', reason: 'random' }, ['COMMAND_NOT_ALLOWED']);
                break;
              }
              case 'advance':
                await master.advance(action.ms);
                break;
              case 'nextTimer': {
                const due = master.nextDue();
                if (due !== undefined) await master.advance(Math.max(0, due - master.now().getTime()));
                break;
              }
              case 'crash':
                await crash(action.downMs);
                break;
            }
            await quiesce();
            await checkFold();
          }

          // Drive to the end: a hanging step is crashed out, a waiting signal gets the next answer, else the next timer fires.
          for (let round = 0; ; round++) {
            expect(round, 'the workflow neither ends nor waits for anything').toBeLessThan(100);
            await quiesce();
            await checkFold();
            const view = await current.engine.get(id);
            if (view === undefined) throw new Error('no view');
            if (['completed', 'failed', 'cancelled'].includes(view.status)) break;
            if (reached.length > 0) await crash();
            else if (view.accepts.includes('go'))
              expect((await current.engine.send(id, { type: 'go', data: { again: answers.shift() ?? false } })).accepted).toBe(true);
            else {
              // Running with nothing in flight: it must wait for a timer (a sleep, a retry, a timeout or the deadline).
              const due = master.nextDue();
              expect(due, `stuck at ${view.state}`).toBeDefined();
              await master.advance(Math.max(0, (due ?? 0) - master.now().getTime()));
            }
          }

          const live = (await current.engine.get(id))!;
          const history = await events();
          seen[live.status as 'completed' | 'failed' | 'cancelled'] += 1;
          expect(createFolder(definition.machine).fold(history).context).toEqual(live.context);
          expect(foldWithTransition(definition.machine, history).value).toEqual(live.value);

          // Exactly one terminal event, the last.
          expect(history.filter((event) => isTerminal(event.type))).toHaveLength(1);
          expect(isTerminal(history.at(-1)!.type)).toBe(true);
          // No (step, iteration) completed twice; each completion is the one time its function returned.
          const completed = history.flatMap((event) => (event.type === 'StepCompleted' ? [`${event.data.step}/${event.data.iteration}`] : []));
          expect(new Set(completed).size).toBe(completed.length);
          expect(completed.filter((key) => key.startsWith('work/')).map((key) => key.split('/')[1])).toEqual(returned);
          // An iteration of `work` that completed never ran again: no attempt after the one that completed it.
          for (const event of history)
            if (event.type === 'StepCompleted' && event.data.step === 'work') {
              const later = ran.filter((key) => key.startsWith(`${event.data.iteration}#`) && Number(key.split('#')[1]) > event.data.attempt);
              expect(later, `work #${event.data.iteration} completed at attempt ${event.data.attempt}`).toEqual([]);
            }
          // At most one outcome per attempt; idempotency keys: one per (step, iteration), shared by its attempts.
          const outcomes = history.flatMap((event) =>
            event.type === 'StepCompleted' || event.type === 'StepFailed' ? [`${event.data.step}/${event.data.iteration}/${event.data.attempt}`] : [],
          );
          expect(new Set(outcomes).size).toBe(outcomes.length);
          const keys = new Map<string, string>();
          for (const event of history) {
            if (event.type !== 'StepStarted') continue;
            const at = `${event.data.step}/${event.data.iteration}`;
            expect(event.data.idempotencyKey).toBe(`${id}/${at}`);
            expect(keys.get(event.data.idempotencyKey) ?? at).toBe(at);
            keys.set(event.data.idempotencyKey, at);
          }
          // Attempts of one iteration are numbered 1, 2, 3, ... with no gap or repeat.
          const attempts = new Map<string, number[]>();
          for (const event of history)
            if (event.type === 'StepStarted')
              attempts.set(`${event.data.step}/${event.data.iteration}`, [
                ...(attempts.get(`${event.data.step}/${event.data.iteration}`) ?? []),
                event.data.attempt,
              ]);
          for (const list of attempts.values()) expect(list).toEqual(list.map((_attempt, index) => index + 1));
          // Every sleep ended at most once, at the due time it recorded.
          const sleeps = history.filter((event) => event.type === 'SleepStarted' || event.type === 'SleepEnded');
          for (let index = 0; index < sleeps.length; index++) {
            const event = sleeps[index]!;
            if (event.type === 'SleepEnded') expect(sleeps[index - 1]).toMatchObject({ type: 'SleepStarted', data: { until: event.data.until } });
          }
          // No timer fired early: each wake-up is recorded at or after the due time it acts on.
          const stored = await records();
          let retryAt: string | undefined;
          for (const record of stored) {
            const at = Date.parse(record.metadata.at as string);
            const data = record.data as { until?: string; timeoutAt?: string; retryAt?: string; attempt?: number; error?: { code?: string } };
            if (record.type === 'SleepEnded') expect(at).toBeGreaterThanOrEqual(Date.parse(data.until!));
            if (record.type === 'SignalTimedOut') expect(at).toBeGreaterThanOrEqual(Date.parse(data.timeoutAt!));
            if (record.type === 'WorkflowFailed' && data.error?.code === 'DEADLINE_PASSED')
              expect(at).toBeGreaterThanOrEqual(Date.parse(live.context.policies.deadline!.at));
            if (record.type === 'StepStarted' && retryAt !== undefined) expect(at).toBeGreaterThanOrEqual(Date.parse(retryAt));
            if (record.type === 'StepFailed' || record.type === 'StepStarted') retryAt = data.retryAt;
          }

          if (history.some((event) => event.type === 'StepFailed' && event.data.retryAt !== undefined)) seen.retried += 1;
          if (history.some((event) => event.type === 'SleepEnded')) seen.slept += 1;
          if (history.some((event) => event.type === 'SignalTimedOut')) seen.timedOut += 1;
          if (history.some((event) => event.type === 'RouteChosen' && event.data.to === 'work')) seen.looped += 1;
          if (history.some((event) => event.type === 'RouteChosen' && event.data.capReached === true)) seen.capped += 1;
          if (
            history.some(
              (event) =>
                (event.type === 'WorkflowFailed' && event.data.error?.code === 'DEADLINE_PASSED') ||
                (event.type === 'WorkflowCancelled' && /deadline/.test(event.data.reason)),
            )
          )
            seen.deadline += 1;

          // replay --verify: zero model calls, every recorded decision re-decided and compared.
          expect(await replayHistories(registry, [{ workflowId: id, events: await records() }])).toEqual([expect.objectContaining({ folded: history.length })]);
          // Passivated and rehydrated, it is the same again.
          await current.engine.passivate();
          expect((await current.engine.get(id))?.context).toEqual(live.context);
          await current.engine.close();
          for (const old of dead) await old.close().catch(() => undefined);
        },
      ),
      { numRuns: 60, seed: 1_313_013 },
    );
    // The runs went through every construct, both ways, and crashed both at rest and mid-step.
    expect(seen.completed).toBeGreaterThan(3);
    expect(seen.failed).toBeGreaterThan(3);
    expect(seen.cancelled).toBeGreaterThan(3);
    expect(seen.deadline).toBeGreaterThan(0);
    expect(seen.crashes).toBeGreaterThan(10);
    expect(seen.crashesMidStep).toBeGreaterThan(2);
    expect(seen.retried).toBeGreaterThan(3);
    expect(seen.slept).toBeGreaterThan(3);
    expect(seen.timedOut).toBeGreaterThan(3);
    expect(seen.looped).toBeGreaterThan(3);
    expect(seen.capped).toBeGreaterThan(0);
    expect(seen.downtime).toBeGreaterThan(3);
  });
});
