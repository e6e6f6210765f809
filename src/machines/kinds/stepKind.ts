import type { Decision, Deciding } from '../decisions.js';
import type { WorkflowEventType } from '../events.js';
import type { StepPhase, StepStructure, WorkflowStructure } from '../structure.js';
import type { GuardRef, workflowSetup } from '../workflowSetup.js';

type MachineConfig = Parameters<typeof workflowSetup.createMachine>[0];
/** One state of a workflow machine's config. */
export type StateConfig = NonNullable<MachineConfig['states']>[string];
export type Transition = { target?: string; guard?: unknown; actions?: unknown };
/** Transitions by recorded event type. */
export type Transitions = Partial<Record<WorkflowEventType, Transition[]>>;
/** A step's phases: its compound state's children. */
export type Phases = Partial<Record<StepPhase, { tags?: string[]; on: Transitions }>>;

/** What a kind builds its part of the machine with. */
export interface MachineBuilder {
  readonly structure: WorkflowStructure;
  /** `#<machine>.<path>`: an absolute target. */
  ref(path: string): string;
  /** The index of a step (`completed`: after the last). */
  indexOf(name: string): number;
  /** The transitions that enter step `index` (or complete after the last) under the `extra` guards. */
  enter(index: number, extra?: GuardRef[]): Transitions;
  /** Moving on after step `index`: `enter(index + 1, extra)`. */
  advance(index: number, extra?: GuardRef[]): Transitions;
  /** WorkflowFailed, to the failed state. */
  readonly failWorkflow: Transitions;
  /** The step's compound state: its phases under the step-wide transitions (CANCEL, a passed deadline). */
  compound(step: StepStructure, initial: StepPhase, phases: Phases): StateConfig;
}

/**
 * Everything one kind of step is: the rules of its structure, its part of the machine (how it is
 * entered, its phases), and its decisions. A new kind is a new file implementing this, registered
 * in `STEP_KINDS`, with its events (events.ts), its guards and context updates (workflowSetup.ts)
 * and its spec (defineWorkflow.ts).
 */
export interface StepKindRules {
  /** Its own structural rules (names and uniqueness are checked for every kind); `fail` throws a DefinitionError. */
  validate?(structure: WorkflowStructure, step: StepStructure, index: number, fail: (message: string) => never): void;
  /**
   * The transitions that enter it under `guards` (from the step before, or a route choosing it).
   * `passOver`: a guard under which it is passed by (an approval gate that is off), so what follows
   * it is entered too.
   */
  entry(step: StepStructure, builder: MachineBuilder, guards: (own: GuardRef[]) => unknown): { transitions: Transitions; passOver?: GuardRef };
  /** Its compound state. */
  state(step: StepStructure, index: number, builder: MachineBuilder): StateConfig;
  /** Entering it: what to record (or run), or `undefined` to pass it by. */
  enter(step: StepStructure, deciding: Deciding): Decision | undefined;
  /** What comes next while it is in `phase`. */
  decide(step: StepStructure, phase: StepPhase, deciding: Deciding): Decision;
}

export const guard = (type: GuardRef['type'], params: object): GuardRef => ({ type, params });
/** A conjunction of guards, kept as data. */
export const all = (guards: GuardRef[]): unknown => (guards.length === 1 ? guards[0] : { type: 'allOf', params: { guards } });

export const merge = (...parts: Transitions[]): Transitions => {
  const merged: Transitions = {};
  for (const part of parts) {
    for (const [type, list] of Object.entries(part) as [WorkflowEventType, Transition[]][]) merged[type] = [...(merged[type] ?? []), ...list];
  }
  return merged;
};

/** A phase the kind does not have: a broken machine, not a user error. */
export const noPhase = (step: StepStructure, phase: StepPhase): never => {
  throw new Error(`Step "${step.name}" (${step.kind}) has no phase "${phase}"`);
};
