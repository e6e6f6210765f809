import type { z } from 'zod';
import { STRUCTURE_META_KEY, type WorkflowMachine, compileMachine } from './compileMachine.js';
import type { JsonValue } from './context.js';
import type { Budget, CapPolicy, Judgement, Policies } from './events.js';
import type { StepRun } from './stepContext.js';
import { DefinitionError, type StepStructure, type WorkflowStructure, assertValidStructure } from './structure.js';

type Derived<I, T> = T | ((input: I) => T);

/** Produces an output: a model call or a plain async function, run by the runtime. */
export interface ProduceStepSpec<I> {
  kind: 'produce';
  name: string;
  run: StepRun<I, JsonValue>;
  /** Per-attempt time limit; recorded as a due time in StepStarted. */
  timeoutMs?: number;
}

/** Judges the previous producing step's output; `revise` sends it back with feedback, up to the cap. */
export interface ValidateStepSpec<I> {
  kind: 'validate';
  name: string;
  run: StepRun<I, Judgement>;
  maxIterations: Derived<I, number>;
  onCap: Derived<I, z.infer<typeof CapPolicy>>;
  timeoutMs?: number;
}

/** Waits for a person: APPROVE continues, REJECT fails, REQUEST_REVISION sends `revises` back. */
export interface ApprovalStepSpec<I> {
  kind: 'approval';
  name: string;
  /** Whether the gate is on for this workflow (default on). */
  when?: Derived<I, boolean>;
  revises?: string;
}

export type StepSpec<I> = ProduceStepSpec<I> | ValidateStepSpec<I> | ApprovalStepSpec<I>;
export type ActivityStepSpec<I> = ProduceStepSpec<I> | ValidateStepSpec<I>;

/** Where an input loader runs: the folder relative paths in the input are taken from. */
export interface InputLoaderContext {
  /** The folder of the input file (`--input @file.json`), else the current directory. */
  readonly baseDir: string;
}

/**
 * Turns what a person typed into a self-contained input before it is validated and recorded, e.g.
 * reads files named in the input into inline text. Runs only at the CLI edge (`ecl run`), on the
 * machine of the person who runs it, once per start; never on the server, never on replay, so the
 * recorded input alone replays anywhere.
 */
export type InputLoader = (raw: unknown, context: InputLoaderContext) => unknown;

export interface WorkflowSpec<S extends z.ZodType> {
  name: string;
  version: number;
  description?: string;
  input: S;
  /** See {@link InputLoader}. */
  loadInput?: InputLoader;
  steps: readonly StepSpec<z.output<S>>[];
  budget?: Derived<z.output<S>, Budget | undefined>;
  /**
   * A hand-written machine instead of the compiled one. It must follow the same protocol: its
   * events are the recorded workflow events, a running state value is `{ <step>: <phase> }` with
   * the phases of STEP_PHASES, and its root `meta.ecl` carries this workflow's structure (build it
   * with `workflowSetup` to reuse the guards and actions). Checked when the definition is made.
   */
  machine?: WorkflowMachine;
}

export interface WorkflowDefinition<I> {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  /** Validates (and defaults) the workflow input at the edge. */
  readonly input: z.ZodType<I, unknown>;
  /** Prepares a CLI input before validation; see {@link InputLoader}. */
  readonly loadInput?: InputLoader;
  /** The pure part: what the machine is compiled from. */
  readonly structure: WorkflowStructure;
  readonly machine: WorkflowMachine;
  readonly steps: readonly StepSpec<I>[];
  /** Caps, cap policies, gates and budget for one input, recorded in WorkflowStarted. */
  resolvePolicies(input: I): Policies;
  /** The effectful part: a step's implementation, looked up by name by the runtime. */
  activity(step: string): ActivityStepSpec<I> | undefined;
}

// The registry holds definitions of many input types; `run` is contravariant in its input, so only `any` unifies them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorkflowDefinition = WorkflowDefinition<any>;

/** A hand-written machine must carry the same structure the definition declares. */
function checkedMachine(machine: WorkflowMachine, structure: WorkflowStructure): WorkflowMachine {
  assertValidStructure(structure);
  const carried = (machine.root.meta as Record<string, unknown> | undefined)?.[STRUCTURE_META_KEY] as WorkflowStructure | undefined;
  const same = carried !== undefined && carried.name === structure.name && carried.version === structure.version && JSON.stringify(carried.steps) === JSON.stringify(structure.steps);
  if (!same) throw new DefinitionError(`Workflow "${structure.name}": the hand-written machine's root meta.${STRUCTURE_META_KEY} must equal the definition's structure ${JSON.stringify(structure)}`);
  const states = Object.keys(machine.root.states);
  for (const name of [...structure.steps.map((step) => step.name), 'idle', 'completed', 'failed', 'cancelled']) {
    if (!states.includes(name)) throw new DefinitionError(`Workflow "${structure.name}": the hand-written machine has no state "${name}"`);
  }
  return machine;
}

const derive = <I, T>(value: Derived<I, T>, input: I): T => (typeof value === 'function' ? (value as (input: I) => T)(input) : value);

/** Declares a workflow; its machine is compiled right away, so structural mistakes fail at load time. */
export function defineWorkflow<S extends z.ZodType>(spec: WorkflowSpec<S>): WorkflowDefinition<z.output<S>> {
  type I = z.output<S>;
  let previousProducer: string | undefined;
  const structureSteps = spec.steps.map((step): StepStructure => {
    if (step.kind === 'produce') {
      previousProducer = step.name;
      return { name: step.name, kind: 'produce' };
    }
    if (step.kind === 'validate') return previousProducer === undefined ? { name: step.name, kind: 'validate' } : { name: step.name, kind: 'validate', validates: previousProducer };
    return step.revises === undefined ? { name: step.name, kind: 'approval' } : { name: step.name, kind: 'approval', revises: step.revises };
  });
  const structure: WorkflowStructure = { name: spec.name, version: spec.version, steps: structureSteps };
  const machine = spec.machine === undefined ? compileMachine(structure) : checkedMachine(spec.machine, structure);
  const activities = new Map<string, ActivityStepSpec<I>>();
  for (const step of spec.steps) if (step.kind !== 'approval') activities.set(step.name, step);

  const definition: WorkflowDefinition<I> = {
    name: spec.name,
    version: spec.version,
    description: spec.description ?? '',
    input: spec.input as unknown as z.ZodType<I, unknown>,
    ...(spec.loadInput === undefined ? {} : { loadInput: spec.loadInput }),
    structure,
    machine,
    steps: spec.steps,
    resolvePolicies(input: I): Policies {
      const policies: Policies = { loops: {}, approvals: {} };
      for (const step of spec.steps) {
        if (step.kind === 'validate') policies.loops[step.name] = { maxIterations: derive(step.maxIterations, input), onCap: derive(step.onCap, input) };
        if (step.kind === 'approval') policies.approvals[step.name] = derive(step.when ?? true, input);
      }
      const budget = spec.budget === undefined ? undefined : derive(spec.budget, input);
      if (budget !== undefined) policies.budget = budget;
      return policies;
    },
    activity: (step) => activities.get(step),
  };
  Object.defineProperty(definition, DEFINITION_BRAND, { value: true });
  return definition;
}

// A registered symbol, so a definition made by another copy of this package is still recognised.
const DEFINITION_BRAND = Symbol.for('ecl.workflowDefinition');

/** Whether `value` was made by `defineWorkflow` (of any copy of this package). */
export const isWorkflowDefinition = (value: unknown): value is AnyWorkflowDefinition =>
  typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEFINITION_BRAND] === true;
