import { initialContext } from './context.js';
import { type MachineBuilder, type StateConfig, type Transitions, STEP_KINDS, all, guard, merge } from './kinds/index.js';
import type { WorkflowStructure } from './structure.js';
import { assertValidStructure } from './validateStructure.js';
import { type GuardRef, workflowSetup } from './workflowSetup.js';

type MachineConfig = Parameters<typeof workflowSetup.createMachine>[0];

/** Root meta key under which a compiled machine carries its structure (read by `nextStep`). */
export const STRUCTURE_META_KEY = 'ecl';

/**
 * Compiles a structure to a pure XState machine: no invoke, no after, no clock. Its events are the
 * recorded workflow events; every automatic decision arrives as a recorded event too (see nextStep).
 * The state value of a running workflow is `{ <step>: <phase> }`. Each step's compound state, and
 * how it is entered, is its kind's (src/machines/kinds): a step moves on by entering the next one.
 */
export function compileMachine(structure: WorkflowStructure) {
  assertValidStructure(structure);
  const id = structure.name;
  const steps = structure.steps;
  // In every step: CANCEL, a passed deadline, a definition's decision that failed.
  const stepOn = {
    WorkflowCancelled: { target: `#${id}.cancelled`, actions: 'cancel' },
    WorkflowFailed: { target: `#${id}.failed`, guard: guard('failsAnywhere', {}), actions: 'fail' },
  };

  const builder: MachineBuilder = {
    structure,
    ref: (path) => `#${id}.${path}`,
    indexOf: (name) => (name === 'completed' ? steps.length : steps.findIndex((step) => step.name === name)),
    enter(index, extra = []) {
      const passedOver: GuardRef[] = [];
      let transitions: Transitions = {};
      for (const next of steps.slice(index)) {
        const entry = STEP_KINDS[next.kind].entry(next, builder, (own) => all([...extra, ...passedOver, ...own]));
        transitions = merge(transitions, entry.transitions);
        if (entry.passOver === undefined) return transitions;
        passedOver.push(entry.passOver);
      }
      const guarded = extra.length + passedOver.length > 0 ? { guard: all([...extra, ...passedOver]) } : {};
      return merge(transitions, { WorkflowCompleted: [{ target: builder.ref('completed'), ...guarded, actions: 'complete' }] });
    },
    advance: (index, extra = []) => builder.enter(index + 1, extra),
    failWorkflow: { WorkflowFailed: [{ target: `#${id}.failed`, actions: 'fail' }] },
    compound: (step, initial, phases) => ({ meta: { step: step.name, kind: step.kind }, initial, on: stepOn, states: phases }) as StateConfig,
  };

  const first = steps[0];
  const states: Record<string, StateConfig> = {
    idle: { on: { WorkflowStarted: { target: `${first?.name ?? 'completed'}`, actions: 'start' } } },
  };
  steps.forEach((step, index) => {
    states[step.name] = STEP_KINDS[step.kind].state(step, index, builder);
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
