import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { z } from 'zod';
import {
  type AnyWorkflowDefinition,
  type JsonValue,
  type WorkflowEvent,
  type WorkflowMachine,
  type WorkflowSnapshot,
  createFolder,
  defaultUpcasterRegistry,
  defineWorkflow,
  notAccepted,
  nextStep,
  structureOf,
} from '../../src/machines/index.js';
import { research } from '../../examples/research/research.js';
import { brief, serial3 } from '../support/definitions.js';
import { loadGoldens } from './support/goldenHistories.js';
import { ev } from '../../src/testing/index.js';

/**
 * `createFolder` copies XState's @internal inert actor scope to fold without building one per
 * event. These tests hold it to XState's public `transition`, so an XState upgrade that changes
 * that scope or the algorithm under it fails here rather than in production.
 */

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
/** A seed whose walks visit every end and every wait of each definition above. */
const COVERING_SEED = 20261206;
const AT = '2026-01-01T00:00:00.000Z';

/** XState's public pure API, one inert actor scope per event, with `createFolder`'s rule for a refusal. */
function publicApply(machine: WorkflowMachine, snapshot: WorkflowSnapshot, event: WorkflowEvent): { snapshot: WorkflowSnapshot; actions: number } {
  const [next, actions] = transition(machine, snapshot, event);
  if (next === snapshot) throw notAccepted(event, snapshot.value);
  if (next.status === 'error') throw next.error instanceof Error ? next.error : new Error(String(next.error));
  return { snapshot: next, actions: actions.length };
}

type Outcome<S> = { ok: true; state: S } | { ok: false; error: string };
const attempt = <S>(apply: () => S): Outcome<S> => {
  try {
    return { ok: true, state: apply() };
  } catch (error) {
    return { ok: false, error: `${(error as { code?: string }).code ?? 'ERROR'}: ${(error as Error).message}` };
  }
};

const folded = (snapshot: WorkflowSnapshot) => ({ value: snapshot.value, status: snapshot.status, context: snapshot.context });

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

const startedOf = (definition: AnyWorkflowDefinition, policies: unknown): WorkflowEvent =>
  ({
    type: 'WorkflowStarted',
    data: { v: 1, workflowId: 'wf-1', definition: definition.name, version: definition.version, input: {}, inputHash: 'h', policies },
  }) as WorkflowEvent;

describe("createFolder: XState's public transition, with the inert scope built once per machine", () => {
  it("its scope has exactly the members of the scope XState's public transition builds", () => {
    // A machine whose `transition` records the scope it is handed: the public API's, then ours.
    const scopes: Record<string, unknown>[] = [];
    const machine = serial3.machine;
    const spy = Object.create(machine, {
      transition: {
        value: (snapshot: WorkflowSnapshot, event: WorkflowEvent, scope: Record<string, unknown>) => {
          scopes.push(scope);
          return machine.transition(snapshot, event, scope as never);
        },
      },
    }) as WorkflowMachine;
    const started = startedOf(serial3, { loops: {}, approvals: {} });
    const [initial] = initialTransition(machine);
    transition(spy, initial, started);
    createFolder(spy).apply(initial, started);
    const shape = (scope: Record<string, unknown>) => Object.entries(scope).map(([key, value]) => `${key}: ${typeof value}`);
    expect(scopes).toHaveLength(2);
    expect(shape(scopes[1]!).sort()).toEqual(shape(scopes[0]!).sort());
  });

  it.each(definitions.map((definition) => [definition.name, definition] as const))(
    '%s: random walks of decided and arbitrary events give equal values, contexts, statuses and refusals, and no action is dropped',
    (_name, definition) => {
      const machine = definition.machine;
      const folder = createFolder(machine);
      const events = vocabulary(definition);
      let accepted = 0;
      let rejected = 0;
      let callsAccepted = 0;
      let callsRejected = 0;
      let callsReplayedAcrossAttempts = 0;
      const visited = new Set<string>();
      expect(folded(folder.initial())).toEqual(folded(initialTransition(machine)[0]));
      const walks = fc.property(
        policiesOf(definition),
        fc.array(fc.record({ decided: fc.nat(7).map((n) => n > 0), pick: fc.nat() }), { minLength: 5, maxLength: 80, size: 'max' }),
        (policies, walk) => {
          const started = startedOf(definition, policies);
          let reference = publicApply(machine, initialTransition(machine)[0], started).snapshot;
          let snapshot = folder.apply(folder.initial(), started);
          for (const { decided: fromMachine, pick } of walk) {
            const event = (fromMachine ? decided(reference, pick) : undefined) ?? events[pick % events.length]!;
            const expected = attempt(() => publicApply(machine, reference, event));
            const actual = attempt(() => folder.apply(snapshot, event));
            expect(actual.ok, `${event.type} ${JSON.stringify(event.data)} in ${JSON.stringify(reference.value)}`).toBe(expected.ok);
            if (!expected.ok || !actual.ok) {
              expect(actual).toEqual(expected);
              rejected += 1;
              if (event.type === 'CallCompleted') callsRejected += 1;
              continue;
            }
            // The fold executes nothing: that is only sound while the machine asks for nothing to be executed.
            expect(expected.state.actions, `${event.type} asked for actions`).toBe(0);
            if (event.type === 'CallCompleted') callsAccepted += 1;
            if (event.type === 'StepStarted' && expected.state.snapshot.context.calls.length > 0) callsReplayedAcrossAttempts += 1;
            expect(folded(actual.state)).toEqual(folded(expected.state.snapshot));
            reference = expected.state.snapshot;
            snapshot = actual.state;
            visited.add(JSON.stringify(snapshot.value));
            accepted += 1;
          }
        },
      );
      // New walks each run; and walks from a fixed seed, which reach every state counted below
      // (deep ones, like a second validator's escalation, are rare enough that a random 300 can miss them).
      fc.assert(walks, { numRuns: 300 });
      fc.assert(walks, { numRuns: 300, seed: COVERING_SEED });
      // The walks reached both sides of the comparison many times, every end, and every gate the definition has.
      expect(accepted).toBeGreaterThan(1000);
      expect(rejected).toBeGreaterThan(1000);
      // Journaled calls were accepted and refused many times, and a re-run attempt kept a journal.
      expect(callsAccepted).toBeGreaterThan(200);
      expect(callsRejected).toBeGreaterThan(200);
      expect(callsReplayedAcrossAttempts).toBeGreaterThan(10);
      for (const end of ['completed', 'failed', 'cancelled']) expect(visited).toContain(JSON.stringify(end));
      const waits = structureOf(folder.initial())
        .steps.filter((step) => step.kind !== 'produce')
        .map((step) => JSON.stringify({ [step.name]: 'waiting' }));
      for (const wait of waits) expect(visited).toContain(wait);
    },
  );

  it("every golden history folds to the same state as with XState's public transition, at every revision", () => {
    const upcasters = defaultUpcasterRegistry();
    for (const { file, golden } of loadGoldens()) {
      const definition = [...definitions, research].find((candidate) => candidate.name === (golden.events[0]?.data as { definition: string }).definition)!;
      const folder = createFolder(definition.machine);
      let [reference] = initialTransition(definition.machine);
      let snapshot = folder.initial();
      for (const record of golden.events) {
        // Old payloads are read up first, as every reader does.
        const upcast = upcasters.upcast(record.type as WorkflowEvent['type'], record.data as JsonValue);
        if (!upcast.ok) throw new Error(`${file}: revision ${record.revision} cannot be upcast`);
        const event = { type: record.type, data: upcast.data } as unknown as WorkflowEvent;
        [reference] = transition(definition.machine, reference, event);
        snapshot = folder.apply(snapshot, event);
        expect(folded(snapshot), `${file} revision ${record.revision}`).toEqual(folded(reference));
      }
    }
  });
});
