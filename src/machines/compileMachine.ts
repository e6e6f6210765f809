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
 */
export function compileMachine(structure: WorkflowStructure) {
  assertValidStructure(structure);
  const id = structure.name;
  const ref = (path: string) => `#${id}.${path}`;
  const steps = structure.steps;

  /** Moving on after step `index` is accepted: start the next step, open an enabled gate, or complete. */
  const advance = (index: number, extra: GuardRef[] = []): Transitions => {
    const skipped: GuardRef[] = [];
    const transitions: Transitions = {};
    for (const next of steps.slice(index + 1)) {
      if (next.kind === 'approval') {
        transitions.HumanInputRequested = [
          {
            target: ref(`${next.name}.waiting`),
            guard: all([...extra, ...skipped, guard('isStep', { step: next.name }), guard('gateEnabled', { gate: next.name, enabled: true })]),
            actions: { type: 'humanInputRequested', params: { kind: 'approval' } },
          },
        ];
        skipped.push(guard('gateEnabled', { gate: next.name, enabled: false }));
        continue;
      }
      transitions.StepStarted = [
        {
          target: ref(`${next.name}.running`),
          guard: all([...extra, ...skipped, guard('isStartOf', { step: next.name, loop: loopOf(structure, next) })]),
          actions: 'stepStarted',
        },
      ];
      return transitions;
    }
    transitions.WorkflowCompleted = [
      { target: ref('completed'), ...(extra.length + skipped.length > 0 ? { guard: all([...extra, ...skipped]) } : {}), actions: 'complete' },
    ];
    return transitions;
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

  const stepState = (step: StepStructure, index: number): StateConfig => {
    const name = step.name;
    if (step.kind === 'approval') {
      const target = step.revises;
      const phases = {
        waiting: { tags: ['waiting'], on: decide(name, target, false) },
        accepted: { on: advance(index) },
        rejected: { on: failWorkflow },
        ...(target === undefined ? {} : { revising: { on: reviseTo(target) } }),
      };
      return { meta: { step: name, kind: step.kind }, initial: 'waiting', on: cancelOn, states: phases } as StateConfig;
    }
    const budget: Transitions = { BudgetExceeded: [{ target: 'overBudget', guard: guard('isStep', { step: name }) }] };
    const validating = step.kind === 'validate';
    const producer = step.validates ?? name;
    const phases: Record<string, { tags?: string[]; on: Transitions }> = {
      pending: {
        tags: ['activity'],
        on: { StepStarted: [{ target: 'running', guard: guard('isStartOf', { step: name, loop: loopOf(structure, step) }), actions: 'stepStarted' }] },
      },
      running: {
        tags: ['activity', 'running'],
        on: {
          StepStarted: [{ guard: guard('isRerunOf', { step: name }), actions: 'stepStarted' }],
          StepCompleted: [{ target: 'done', guard: guard('isOutcomeOf', { step: name }), actions: 'stepCompleted' }],
          StepFailed: [{ target: 'failed', guard: guard('isOutcomeOf', { step: name }), actions: 'stepFailed' }],
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
    return { meta: { step: name, kind: step.kind }, initial: 'pending', on: cancelOn, states: phases } as StateConfig;
  };

  const cancelOn = { WorkflowCancelled: { target: ref('cancelled'), actions: 'cancel' } };
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
