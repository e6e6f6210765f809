import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { z } from 'zod';
import {
  type AnyWorkflowDefinition,
  type FoldedState,
  type WorkflowEvent,
  type WorkflowSnapshot,
  type JsonValue,
  compiledFoldUnsupported,
  compileFold,
  createFolder,
  defaultUpcasterRegistry,
  defineWorkflow,
  initialContext,
  nextStep,
  structureOf,
  workflowSetup,
} from '../../src/machines/index.js';
import { research } from '../../examples/research/research.js';
import { brief, serial3 } from '../support/definitions.js';
import { loadGoldens } from './support/goldenHistories.js';
import { ev } from '../../src/testing/index.js';

/**
 * Every kind of step and transition the compiler emits: a produce/validate loop, a second
 * validator of the same producer, a gate that revises a step with no validator.
 */
const gated = defineWorkflow({
  name: 'gated',
  version: 1,
  input: z.object({}).default({}),
  steps: [
    { kind: 'produce', name: 'outline', run: async () => 'o' },
    { kind: 'approval', name: 'signoff', revises: 'outline' },
    { kind: 'produce', name: 'draft', run: async () => 'd' },
    { kind: 'validate', name: 'review', run: async () => ({ verdict: 'approve' as const, feedback: '' }), maxIterations: 2, onCap: 'escalate' },
    { kind: 'validate', name: 'legal', run: async () => ({ verdict: 'approve' as const, feedback: '' }), maxIterations: 2, onCap: 'accept' },
    { kind: 'approval', name: 'publish', revises: 'draft' },
  ],
});

const definitions: AnyWorkflowDefinition[] = [brief, serial3, gated];
const AT = '2026-01-01T00:00:00.000Z';

type Outcome = { ok: true; state: FoldedState } | { ok: false; error: string };
const attempt = (apply: () => FoldedState): Outcome => {
  try {
    return { ok: true, state: apply() };
  } catch (error) {
    return { ok: false, error: `${(error as { code?: string }).code ?? 'ERROR'}: ${(error as Error).message}` };
  }
};

/** Events a workflow of this structure might record, valid or not: any type, any step, small iterations and attempts. */
function vocabulary(definition: AnyWorkflowDefinition): WorkflowEvent[] {
  const steps = [...structureOf(createFolder(definition.machine).initial()).steps.map((step) => step.name), 'elsewhere'];
  const events: WorkflowEvent[] = [ev.cancelled('stop'), ev.completed('out'), ev.failed('broke')];
  for (const step of steps) {
    for (const iteration of [1, 2, 3]) {
      for (const attemptNo of [1, 2]) {
        events.push(ev.stepStarted(step, iteration, attemptNo));
        events.push(
          ev.stepCompleted(step, iteration, { verdict: 'revise', feedback: 'more' }, attemptNo, {
            llm: { model: 'm', inputTokens: 400, outputTokens: 100, costUsd: 0.4, latencyMs: 1, promptHash: 'p', attempts: 1 },
          }),
        );
        events.push(ev.stepCompleted(step, iteration, { verdict: 'approve', feedback: '' }, attemptNo));
        events.push(ev.stepCompleted(step, iteration, `text ${iteration}`, attemptNo));
        events.push(ev.stepFailed(step, iteration, 'BAD_REQUEST', attemptNo));
        // Journaled calls: a first and a second call, a failed one, a model call with accounting, and malformed ones (neither or both outcomes).
        events.push(ev.callCompleted(step, iteration, 'fetch', 0, { output: { page: iteration } }, attemptNo));
        events.push(
          ev.callCompleted(step, iteration, 'notes', 1, { output: { text: 'n' } }, attemptNo, {
            kind: 'complete',
            llm: { model: 'm', inputTokens: 10, outputTokens: 5, costUsd: 0.01, latencyMs: 1, promptHash: 'p', attempts: 1 },
          }),
        );
        events.push(ev.callCompleted(step, iteration, 'post', 1, { error: { code: 'HTTP_500', message: 'down', retryable: true } }, attemptNo));
        events.push({ type: 'CallCompleted', data: { v: 1, step, iteration, attempt: attemptNo, call: 'empty', kind: 'run', seq: 0 } });
        events.push({
          type: 'CallCompleted',
          data: {
            v: 1,
            step,
            iteration,
            attempt: attemptNo,
            call: 'both',
            kind: 'run',
            seq: 0,
            output: 1,
            error: { code: 'X', message: 'x', retryable: false },
          },
        });
      }
      events.push(ev.revision(step, 'review', iteration, `again ${iteration}`));
      events.push(ev.cap(step, iteration, iteration, 'accept'));
    }
    for (const policy of ['fail', 'escalate'] as const)
      events.push({ type: 'BudgetExceeded', data: { v: 1, step, limit: 'costUsd', max: 0.5, used: 1, policy } });
    for (const accepts of [
      ['APPROVE', 'REJECT', 'CANCEL'],
      ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL'],
    ])
      events.push(ev.inputRequested(step, 'a person decides', accepts));
    for (const decision of ['approve', 'reject', 'request_revision'] as const) events.push(ev.decision(step, decision, 'from a person'));
  }
  return events;
}

/** What the engine would record next from `snapshot`, when there is such a thing: keeps walks going deep into the machine. */
function decided(snapshot: WorkflowSnapshot, pick: number): WorkflowEvent | undefined {
  // A person may cancel at any time.
  if (pick % 40 === 0) return ev.cancelled(`stop ${pick}`);
  const current = snapshot.context.current;
  if (current !== null && JSON.stringify(snapshot.value).includes('running')) {
    // Mostly successes, so walks get deep; sometimes a revise verdict that costs money, a failure or a re-run.
    // Often a journaled call first: the next position under a new name, sometimes a taken position or name (refused).
    const calls = snapshot.context.calls;
    if (pick % 7 < 3) {
      const seq = pick % 11 === 0 ? Math.max(0, calls.length - 1) : calls.length;
      const name = pick % 13 === 0 && calls.length > 0 ? calls[0]!.call : `call ${seq}`;
      return pick % 2 === 0
        ? ev.callCompleted(current.step, current.iteration, name, seq, { output: `out ${pick}` }, current.attempt)
        : ev.callCompleted(current.step, current.iteration, name, seq, { error: { code: 'E', message: `failed ${pick}`, retryable: false } }, current.attempt, {
            kind: 'complete',
          });
    }
    const roll = pick % 10;
    if (roll === 0) return ev.stepFailed(current.step, current.iteration, 'TIMEOUT', current.attempt);
    if (roll === 1) return ev.stepStarted(current.step, current.iteration, current.attempt + 1);
    if (roll <= 3)
      return ev.stepCompleted(current.step, current.iteration, { verdict: 'revise', feedback: `redo ${pick}` }, current.attempt, {
        llm: { model: 'm', inputTokens: 300, outputTokens: 90, costUsd: 0.3, latencyMs: 1, promptHash: 'p', attempts: 1 },
      });
    return ev.stepCompleted(current.step, current.iteration, { verdict: 'approve', feedback: '' }, current.attempt);
  }
  const decision = nextStep(snapshot, AT);
  if (decision.kind === 'append') return decision.event;
  if (decision.kind === 'activity') return ev.stepStarted(decision.step, decision.iteration, decision.attempt, snapshot.context.workflowId);
  if (decision.kind === 'wait') return ev.decision(decision.step, (['approve', 'reject', 'request_revision'] as const)[pick % 3]!, `person ${pick}`);
  return undefined;
}

const policiesOf = (definition: AnyWorkflowDefinition) =>
  fc
    .record({
      maxIterations: fc.integer({ min: 1, max: 3 }),
      onCap: fc.constantFrom('fail', 'accept', 'escalate'),
      gates: fc.boolean(),
      budget: fc.option(fc.record({ maxCostUsd: fc.constantFrom(0.2, 0.7, 2), onExceed: fc.constantFrom('fail', 'escalate') }), { nil: undefined }),
    })
    .map(({ maxIterations, onCap, gates, budget }) => {
      const steps = structureOf(createFolder(definition.machine).initial()).steps;
      return {
        loops: Object.fromEntries(steps.filter((step) => step.kind === 'validate').map((step) => [step.name, { maxIterations, onCap }])),
        approvals: Object.fromEntries(steps.filter((step) => step.kind === 'approval').map((step) => [step.name, gates])),
        ...(budget === undefined ? {} : { budget }),
      };
    });

describe("compiled fold: the same fold as XState's transition, without its general algorithm", () => {
  it.each(definitions.map((definition) => [definition.name, definition] as const))('%s compiles', (_name, definition) => {
    expect(compiledFoldUnsupported(definition.machine)).toBeUndefined();
  });

  it.each(definitions.map((definition) => [definition.name, definition] as const))(
    '%s: random walks of decided and arbitrary events give equal values, contexts, statuses and rejections',
    (_name, definition) => {
      const xstate = createFolder(definition.machine);
      const compiled = compileFold(definition.machine)!;
      const events = vocabulary(definition);
      let accepted = 0;
      let rejected = 0;
      let callsAccepted = 0;
      let callsRejected = 0;
      let callsReplayedAcrossAttempts = 0;
      const visited = new Set<string>();
      fc.assert(
        fc.property(
          policiesOf(definition),
          fc.array(fc.record({ decided: fc.nat(7).map((n) => n > 0), pick: fc.nat() }), { minLength: 5, maxLength: 80, size: 'max' }),
          (policies, walk) => {
            const started: WorkflowEvent = {
              type: 'WorkflowStarted',
              data: { v: 1, workflowId: 'wf-1', definition: definition.name, version: definition.version, input: {}, inputHash: 'h', policies },
            };
            let reference: WorkflowSnapshot = xstate.apply(xstate.initial(), started);
            let state = compiled.apply(compiled.initial(), started);
            for (const { decided: fromMachine, pick } of walk) {
              const event = (fromMachine ? decided(reference, pick) : undefined) ?? events[pick % events.length]!;
              const expected = attempt(() => xstate.apply(reference, event));
              const actual = attempt(() => compiled.apply(state, event));
              expect(actual.ok, `${event.type} ${JSON.stringify(event.data)} in ${JSON.stringify(reference.value)}`).toBe(expected.ok);
              if (!expected.ok || !actual.ok) {
                expect(actual).toEqual(expected);
                rejected += 1;
                if (event.type === 'CallCompleted') callsRejected += 1;
                continue;
              }
              if (event.type === 'CallCompleted') callsAccepted += 1;
              if (event.type === 'StepStarted' && expected.state.context.calls.length > 0) callsReplayedAcrossAttempts += 1;
              expect(actual.state.value).toEqual(expected.state.value);
              expect(actual.state.status).toBe(expected.state.status);
              expect(actual.state.context).toEqual(expected.state.context);
              reference = expected.state as WorkflowSnapshot;
              state = actual.state as typeof state;
              visited.add(JSON.stringify(state.value));
              accepted += 1;
            }
          },
        ),
        { numRuns: 500 },
      );
      // The walks reached both sides of the comparison many times, every end, and every gate the definition has.
      expect(accepted).toBeGreaterThan(1000);
      expect(rejected).toBeGreaterThan(1000);
      // Journaled calls were accepted and refused many times, and a re-run attempt kept a journal.
      expect(callsAccepted).toBeGreaterThan(200);
      expect(callsRejected).toBeGreaterThan(200);
      expect(callsReplayedAcrossAttempts).toBeGreaterThan(10);
      for (const end of ['completed', 'failed', 'cancelled']) expect(visited).toContain(JSON.stringify(end));
      const waits = structureOf(createFolder(definition.machine).initial())
        .steps.filter((step) => step.kind !== 'produce')
        .map((step) => JSON.stringify({ [step.name]: 'waiting' }));
      for (const wait of waits) expect(visited).toContain(wait);
    },
  );

  it('every golden history folds to the same state at every revision', () => {
    const upcasters = defaultUpcasterRegistry();
    for (const { file, golden } of loadGoldens()) {
      const definition = [...definitions, research].find((candidate) => candidate.name === (golden.events[0]?.data as { definition: string }).definition)!;
      const xstate = createFolder(definition.machine);
      const compiled = compileFold(definition.machine)!;
      let reference: WorkflowSnapshot = xstate.initial();
      let state = compiled.initial();
      for (const record of golden.events) {
        // Old payloads are read up first, as every reader does.
        const upcast = upcasters.upcast(record.type as WorkflowEvent['type'], record.data as JsonValue);
        if (!upcast.ok) throw new Error(`${file}: revision ${record.revision} cannot be upcast`);
        const event = { type: record.type, data: upcast.data } as unknown as WorkflowEvent;
        reference = xstate.apply(reference, event);
        state = compiled.apply(state, event);
        expect({ value: state.value, status: state.status, context: state.context }, `${file} revision ${record.revision}`).toEqual({
          value: reference.value,
          status: reference.status,
          context: reference.context,
        });
      }
    }
  });

  it("the shared initial state is XState's initial snapshot, and safe from mutation", () => {
    const compiled = compileFold(serial3.machine)!;
    const reference = createFolder(serial3.machine).initial();
    expect(compiled.initial()).toBe(compiled.initial());
    expect({ value: compiled.initial().value, status: compiled.initial().status, context: compiled.initial().context }).toEqual({
      value: reference.value,
      status: reference.status,
      context: reference.context,
    });
    expect(() => {
      (compiled.initial().context as { outputs: Record<string, unknown> }).outputs.one = 'leak';
    }).toThrow(TypeError);
  });

  it('a transition that changes nothing (targetless or to itself, no actions) is not accepted, as XState hands back the same snapshot', () => {
    const inert = workflowSetup.createMachine({
      id: 'inert',
      initial: 'idle',
      context: initialContext,
      states: { idle: { on: { WorkflowCancelled: {}, WorkflowFailed: { target: 'idle' }, WorkflowCompleted: { target: 'idle', actions: 'humanDecided' } } } },
    }) as never;
    const xstate = createFolder(inert);
    const compiled = compileFold(inert)!;
    for (const event of [ev.cancelled('x'), ev.failed('y')]) {
      expect(() => xstate.apply(xstate.initial(), event)).toThrowError(expect.objectContaining({ code: 'EVENT_NOT_ACCEPTED' }));
      expect(() => compiled.apply(compiled.initial(), event)).toThrowError(expect.objectContaining({ code: 'EVENT_NOT_ACCEPTED' }));
    }
    expect(xstate.apply(xstate.initial(), ev.completed('z')).value).toBe('idle');
    expect(compiled.apply(compiled.initial(), ev.completed('z')).value).toBe('idle');
  });

  it('several actions on one transition each see the context the previous one left, as XState chains assigns', () => {
    const grant = { type: 'grantRound', params: { validator: 'review', target: 'draft' } } as const;
    const twice = workflowSetup.createMachine({
      id: 'twice',
      initial: 'idle',
      context: initialContext,
      states: { idle: { on: { HumanDecisionReceived: { target: 'done', actions: [grant, grant] } } }, done: { type: 'final' } },
    }) as never;
    const event = ev.decision('approval', 'request_revision', 'again');
    const reference = createFolder(twice).apply(createFolder(twice).initial(), event);
    const state = compileFold(twice)!.apply(compileFold(twice)!.initial(), event);
    expect(reference.context.granted).toEqual({ review: 2 });
    expect({ value: state.value, status: state.status, context: state.context }).toEqual({
      value: reference.value,
      status: reference.status,
      context: reference.context,
    });
  });

  it('a machine outside the compiled shape gets no compiled fold, and says why', () => {
    const withEntry = workflowSetup.createMachine({ id: 'entry', initial: 'idle', context: initialContext, states: { idle: { entry: 'humanDecided' } } });
    expect(compiledFoldUnsupported(withEntry as never)).toMatch(/entry or exit actions/);
    expect(compileFold(withEntry as never)).toBeUndefined();
    const ownGuard = serial3.machine.provide({ guards: { isStep: () => true } });
    expect(compiledFoldUnsupported(ownGuard)).toMatch(/guard "isStep" of its own/);
    const inherited = workflowSetup.createMachine({
      id: 'inherited',
      initial: 'idle',
      context: initialContext,
      states: { idle: { on: { WorkflowCompleted: { actions: 'toString' as never } } } },
    });
    expect(compiledFoldUnsupported(inherited as never)).toMatch(/action "toString" other than/);
    const unimplemented = createMachine({
      id: 'plain',
      initial: 'idle',
      context: initialContext(),
      states: { idle: { on: { WorkflowCompleted: { guard: { type: 'isStep', params: { step: 'x' } } } } } },
    });
    expect(compiledFoldUnsupported(unimplemented as never)).toMatch(/guard "isStep" of its own/);
    const withOutput = workflowSetup.createMachine({
      id: 'output',
      initial: 'idle',
      context: initialContext,
      states: { idle: { on: { WorkflowCompleted: 'completed' } }, completed: { type: 'final', output: () => 'x' } },
    } as never);
    expect(compiledFoldUnsupported(withOutput as never)).toMatch(/with an output/);
    const parallel = workflowSetup.createMachine({ id: 'parallel', type: 'parallel', context: initialContext, states: { a: {}, b: {} } });
    expect(compiledFoldUnsupported(parallel as never)).toMatch(/is parallel/);
  });
});
