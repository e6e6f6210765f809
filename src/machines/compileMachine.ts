import { initialContext } from './context.js';
import type { WorkflowEventType } from './events.js';
import { type StepStructure, type WorkflowStructure, assertValidStructure } from './structure.js';
import { type GuardRef, workflowSetup } from './workflowSetup.js';

type MachineConfig = Parameters<typeof workflowSetup.createMachine>[0];
type StateConfig = NonNullable<MachineConfig['states']>[string];
type Transition = { target?: string; guard?: unknown; actions?: unknown };
type Transitions = Partial<Record<WorkflowEventType, Transition[]>>;

/** Root meta key under which a compiled machine carries its structure (read by `nextStep`). */
export const STRUCTURE_META_KEY = 'ecl';

const merge = (...parts: Transitions[]): Transitions => {
  const merged: Transitions = {};
  for (const part of parts) {
    for (const [type, list] of Object.entries(part) as [WorkflowEventType, Transition[]][]) merged[type] = [...(merged[type] ?? []), ...list];
  }
  return merged;
};

const guard = (type: GuardRef['type'], params: object): GuardRef => ({ type, params });
const all = (guards: GuardRef[]): unknown => (guards.length === 1 ? guards[0] : { type: 'allOf', params: { guards } });

/** The producing step whose iteration counter a step follows. */
export const loopOf = (structure: WorkflowStructure, step: StepStructure): string => (step.kind === 'validate' ? (step.validates ?? step.name) : step.name);

/** The validating step that judges `producer`, if any. */
export const validatorOf = (structure: WorkflowStructure, producer: string): string | undefined =>
  structure.steps.find((step) => step.kind === 'validate' && step.validates === producer)?.name;

/**
 * Compiles a structure to a pure XState machine: no invoke, no after, no clock. Its events are the
 * recorded workflow events; every automatic decision arrives as a recorded event too (see nextStep).
 * The state value of a running workflow is `{ <step>: <phase> }`.
 *
 * Each kind of step enters by its own recorded event (an activity by StepStarted, a gate by
 * HumanInputRequested, a sleep by SleepStarted, a signal by SignalAwaited, a route by RouteChosen):
 * the step before it, or a route choosing it, moves on with that event.
 */
export function compileMachine(structure: WorkflowStructure) {
  assertValidStructure(structure);
  const id = structure.name;
  const ref = (path: string) => `#${id}.${path}`;
  const steps = structure.steps;
  const indexOf = (name: string): number => (name === 'completed' ? steps.length : steps.findIndex((step) => step.name === name));

  /** The transitions that enter step `index` under the `extra` guards: its entry event, past gates that are off, or completion at the end. */
  const enter = (index: number, extra: GuardRef[] = []): Transitions => {
    const skipped: GuardRef[] = [];
    let transitions: Transitions = {};
    for (const next of steps.slice(index)) {
      const guards = (own: GuardRef[]) => all([...extra, ...skipped, ...own]);
      const step = { step: next.name };
      switch (next.kind) {
        case 'approval':
          transitions = merge(transitions, {
            HumanInputRequested: [
              {
                target: ref(`${next.name}.waiting`),
                guard: guards([guard('isStep', step), guard('gateEnabled', { gate: next.name, enabled: true })]),
                actions: { type: 'humanInputRequested', params: { kind: 'approval' } },
              },
            ],
          });
          skipped.push(guard('gateEnabled', { gate: next.name, enabled: false }));
          continue;
        case 'produce':
        case 'validate':
          return merge(transitions, {
            StepStarted: [
              {
                target: ref(`${next.name}.running`),
                guard: guards([guard('isStartOf', { step: next.name, loop: loopOf(structure, next) })]),
                actions: 'stepStarted',
              },
            ],
          });
        case 'sleep':
          return merge(transitions, {
            SleepStarted: [{ target: ref(`${next.name}.sleeping`), guard: guards([guard('isStep', step)]), actions: 'sleepStarted' }],
          });
        case 'signal':
          return merge(transitions, {
            SignalAwaited: [{ target: ref(`${next.name}.waiting`), guard: guards([guard('isStep', step)]), actions: 'signalAwaited' }],
          });
        case 'route':
          return merge(transitions, {
            RouteChosen: [
              { target: ref(`${next.name}.chosen`), guard: guards([guard('isStep', step)]), actions: { type: 'routeChosen', params: backEdgesOf(next) } },
            ],
          });
      }
    }
    const guarded = extra.length + skipped.length > 0 ? { guard: all([...extra, ...skipped]) } : {};
    return merge(transitions, { WorkflowCompleted: [{ target: ref('completed'), ...guarded, actions: 'complete' }] });
  };
  /** Moving on after step `index` is accepted. */
  const advance = (index: number, extra: GuardRef[] = []): Transitions => enter(index + 1, extra);

  /** Per target of a route that lies at or before it: the producing steps a loop back to it runs again. */
  const backEdgesOf = (route: StepStructure): { backEdges: Record<string, string[]> } => {
    const at = indexOf(route.name);
    const backEdges: Record<string, string[]> = {};
    for (const target of route.to ?? []) {
      const from = indexOf(target);
      if (from <= at) backEdges[target] = steps.slice(from, at + 1).flatMap((step) => (step.kind === 'produce' ? [step.name] : []));
    }
    return { backEdges };
  };

  const failWorkflow: Transitions = { WorkflowFailed: [{ target: ref('failed'), actions: 'fail' }] };
  const escalate = (step: string, kind: 'cap' | 'budget'): Transitions => ({
    HumanInputRequested: [{ target: 'waiting', guard: guard('isStep', { step }), actions: { type: 'humanInputRequested', params: { kind } } }],
  });
  const reviseTo = (producer: string): Transitions => ({
    RevisionRequested: [{ target: ref(`${producer}.pending`), guard: guard('isRevisionOf', { step: producer }), actions: 'revisionRequested' }],
  });
  const decide = (step: string, target: string | undefined, budgeted: boolean): Transitions => ({
    HumanDecisionReceived: [
      ...(budgeted
        ? [
            {
              target: 'done',
              guard: all([guard('isDecision', { step, decision: 'approve' }), guard('waitingFor', { kind: 'budget' })]),
              actions: 'waiveBudget',
            },
          ]
        : []),
      { target: 'accepted', guard: guard('isDecision', { step, decision: 'approve' }), actions: 'humanDecided' },
      { target: 'rejected', guard: guard('isDecision', { step, decision: 'reject' }), actions: 'humanDecided' },
      ...(target === undefined
        ? []
        : [
            {
              target: 'revising',
              guard: all([guard('isDecision', { step, decision: 'request_revision' }), guard('canRevise', {})]),
              actions: { type: 'grantRound', params: { validator: validatorOf(structure, target), target } },
            },
          ]),
    ],
  });

  type Phases = Record<string, { tags?: string[]; on: Transitions }>;
  const compound = (step: StepStructure, initial: string, phases: Phases): StateConfig =>
    ({ meta: { step: step.name, kind: step.kind }, initial, on: stepOn, states: phases }) as StateConfig;

  const activityState = (step: StepStructure, index: number): StateConfig => {
    const name = step.name;
    const budget: Transitions = { BudgetExceeded: [{ target: 'overBudget', guard: guard('isStep', { step: name }) }] };
    const validating = step.kind === 'validate';
    const producer = step.validates ?? name;
    const phases: Phases = {
      pending: { tags: ['activity'], on: enter(index) },
      running: {
        tags: ['activity', 'running'],
        on: {
          StepStarted: [{ guard: guard('isRerunOf', { step: name }), actions: 'stepStarted' }],
          StepCompleted: [{ target: 'done', guard: guard('isOutcomeOf', { step: name }), actions: 'stepCompleted' }],
          StepFailed: [
            // A failed attempt its retry policy runs again: the step stays running until the next attempt.
            { guard: all([guard('isOutcomeOf', { step: name }), guard('willRetry', {})]), actions: 'attemptFailed' },
            { target: 'failed', guard: guard('isOutcomeOf', { step: name }), actions: 'stepFailed' },
          ],
          // A journaled call inside the step: the step stays running, its journal grows.
          CallCompleted: [{ guard: guard('isCallOf', { step: name }), actions: 'callCompleted' }],
        },
      },
      done: {
        on: validating
          ? merge(budget, advance(index, [guard('verdictIs', { step: name, verdict: 'approve' })]), {
              RevisionRequested: [
                {
                  target: ref(`${producer}.pending`),
                  guard: all([guard('verdictIs', { step: name, verdict: 'revise' }), guard('isRevisionOf', { step: producer })]),
                  actions: 'revisionRequested',
                },
              ],
              IterationCapReached: [{ target: 'capped', guard: all([guard('verdictIs', { step: name, verdict: 'revise' }), guard('isStep', { step: name })]) }],
            })
          : merge(budget, advance(index)),
      },
      failed: { on: failWorkflow },
      overBudget: { on: merge(failWorkflow, escalate(name, 'budget')) },
      waiting: { tags: ['waiting'], on: decide(name, validating ? producer : undefined, true) },
      accepted: { on: advance(index) },
      rejected: { on: failWorkflow },
    };
    if (validating) {
      phases.capped = { on: merge(failWorkflow, advance(index, [guard('capPolicyIs', { step: name, policy: 'accept' })]), escalate(name, 'cap')) };
      phases.revising = { on: reviseTo(producer) };
    }
    return compound(step, 'pending', phases);
  };

  const stepState = (step: StepStructure, index: number): StateConfig => {
    const name = step.name;
    const own = { step: name };
    switch (step.kind) {
      case 'produce':
      case 'validate':
        return activityState(step, index);
      case 'approval': {
        const target = step.revises;
        return compound(step, 'waiting', {
          waiting: { tags: ['waiting'], on: decide(name, target, false) },
          accepted: { on: advance(index) },
          rejected: { on: failWorkflow },
          ...(target === undefined ? {} : { revising: { on: reviseTo(target) } }),
        });
      }
      case 'sleep':
        return compound(step, 'pending', {
          pending: { on: enter(index) },
          sleeping: { tags: ['sleeping'], on: { SleepEnded: [{ target: 'done', guard: guard('isWakeOf', own), actions: 'sleepEnded' }] } },
          done: { on: advance(index) },
        });
      case 'signal':
        return compound(step, 'pending', {
          pending: { on: enter(index) },
          waiting: {
            tags: ['waiting'],
            on: {
              SignalReceived: [{ target: 'done', guard: guard('isSignalFor', own), actions: 'signalReceived' }],
              SignalTimedOut: [
                { target: 'done', guard: guard('signalTimedOut', { step: name, policy: 'continue' }), actions: 'signalTimedOut' },
                { target: 'failed', guard: guard('signalTimedOut', { step: name, policy: 'fail' }), actions: 'signalTimedOut' },
              ],
            },
          },
          done: { on: advance(index) },
          failed: { on: failWorkflow },
        });
      case 'route': {
        // After the choice: enter the chosen step (the one after the route when a loop's cap was reached with `continue`).
        const targets = [...new Set([...(step.to ?? []), steps[index + 1]?.name ?? 'completed'])];
        return compound(step, 'pending', {
          pending: { on: enter(index) },
          chosen: { on: merge(failWorkflow, ...targets.map((target) => enter(indexOf(target), [guard('routedTo', { route: name, to: target })]))) },
        });
      }
    }
  };

  // In every step: CANCEL, a passed deadline, a route that could not choose.
  const stepOn = {
    WorkflowCancelled: { target: ref('cancelled'), actions: 'cancel' },
    WorkflowFailed: { target: ref('failed'), guard: guard('failsAnywhere', {}), actions: 'fail' },
  };
  const first = steps[0];
  const states: Record<string, StateConfig> = {
    idle: { on: { WorkflowStarted: { target: `${first?.name ?? 'completed'}`, actions: 'start' } } },
  };
  steps.forEach((step, index) => {
    states[step.name] = stepState(step, index);
  });
  states.completed = { type: 'final', tags: ['terminal'] };
  states.failed = { type: 'final', tags: ['terminal'] };
  states.cancelled = { type: 'final', tags: ['terminal'] };

  return workflowSetup.createMachine({
    id,
    initial: 'idle',
    context: initialContext,
    meta: { [STRUCTURE_META_KEY]: structure },
    states: states as MachineConfig['states'],
  });
}

export type WorkflowMachine = ReturnType<typeof compileMachine>;
