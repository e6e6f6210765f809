import type { z } from 'zod';
import { STRUCTURE_META_KEY, type WorkflowMachine, compileMachine } from './compileMachine.js';
import type { JsonValue } from './context.js';
import type { Budget, CapPolicy, Judgement, Policies } from './events.js';
import type { StepRun } from './stepContext.js';
import { DefinitionError, type StepStructure, type WorkflowStructure, assertValidStructure } from './structure.js';

type Derived<I, T> = T | ((input: I) => T);

/**
 * A producing step: a model call or a plain async function, run by the runtime. Its output is
 * recorded in `StepCompleted` and is what a following validating step judges and what later steps
 * see in `ctx.outputs`; the last producing step's output is the workflow's output.
 */
export interface ProduceStepSpec<I> {
  kind: 'produce';
  /** Unique within the workflow: a letter, then letters, digits or `_`; not `idle`, `completed`, `failed` or `cancelled`. */
  name: string;
  /**
   * The step's work; resolves to its JSON output. Runs once per attempt, and again only as
   * {@link StepRun} says: an attempt interrupted by a crash or a shutdown (no outcome recorded) runs
   * again from its start as a new attempt, where every journaled call (`ctx.complete`, `ctx.run`)
   * whose outcome was recorded returns it without running again — only the interrupted call runs
   * again; an error flagged `retryable: true` (not an `LlmError`, not a journaled call's) is
   * retried inside the attempt; an iteration whose outcome was recorded never runs again; a
   * revision runs it again as a new iteration with `ctx.feedback` and an empty journal.
   */
  run: StepRun<I, JsonValue>;
  /**
   * Per-attempt time limit in ms, counted from the attempt's start and recorded as the due time
   * `timeoutAt` in its `StepStarted`, so it also fires after a restart. When it passes, `ctx.signal`
   * aborts and `StepFailed` `STEP_TIMEOUT` is recorded (not retried, not re-run: the workflow
   * fails). Retries inside the attempt share the limit; an attempt re-run after a crash, before
   * the due time, gets a new one.
   */
  timeoutMs?: number;
}

/**
 * A validating step: judges the output of the nearest producing step before it (read it from
 * `ctx.outputs`). `approve` moves on; `revise` sends the producer back with the feedback, up to
 * the cap.
 */
export interface ValidateStepSpec<I> {
  kind: 'validate';
  /** Unique within the workflow; the same rules as a producing step's name. */
  name: string;
  /**
   * Returns a {@link Judgement} `{ verdict: 'approve' | 'revise', feedback }`, checked at run time
   * (anything else fails the step with `INVALID_OUTPUT`). Runs more than once exactly as a
   * producing step's `run` does (see {@link StepRun}): an attempt interrupted by a crash or a
   * shutdown runs again from its start as a new attempt, its recorded journaled calls returning
   * their recorded outcomes (only the interrupted call runs again); an error flagged
   * `retryable: true` (not an `LlmError`, not a journaled call's) is retried inside the attempt;
   * an iteration whose outcome was recorded never runs again; each revision of the producer is
   * judged at the next iteration.
   */
  run: StepRun<I, Judgement>;
  /**
   * How many times the producer may run in this loop (integer >= 1), or a function of the input:
   * a `revise` on the last one reaches the cap and `onCap` applies. Resolved once at start and
   * recorded in `WorkflowStarted`. A person's REQUEST_REVISION at the cap grants one more round.
   */
  maxIterations: Derived<I, number>;
  /**
   * At the cap: `fail` the workflow, `accept` the last output and go on, or `escalate` to a person
   * (APPROVE accepts, REJECT fails, REQUEST_REVISION grants one more round). Resolved at start and recorded.
   */
  onCap: Derived<I, z.infer<typeof CapPolicy>>;
  /** Per-attempt time limit in ms; see {@link ProduceStepSpec.timeoutMs}. */
  timeoutMs?: number;
}

/**
 * An approval gate: the workflow waits for a person. APPROVE continues, REJECT fails the workflow,
 * REQUEST_REVISION (only with `revises`) sends that step back with the person's feedback. Runs no
 * code. A gate cannot be the first step or follow another gate.
 */
export interface ApprovalStepSpec<I> {
  kind: 'approval';
  /** Unique within the workflow; the same rules as a producing step's name. */
  name: string;
  /** Whether the gate is on for this workflow (default on); resolved at start and recorded. An off gate is passed by. */
  when?: Derived<I, boolean>;
  /** A producing step before the gate that REQUEST_REVISION sends back (and whose loop gets one more round). */
  revises?: string;
}

/** One step of a workflow, told apart by `kind`. */
export type StepSpec<I> = ProduceStepSpec<I> | ValidateStepSpec<I> | ApprovalStepSpec<I>;
/** The steps that run code (the runtime's activities). */
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

/** What `defineWorkflow` takes. `S` is the input's zod schema; steps see its output type. */
export interface WorkflowSpec<S extends z.ZodType> {
  /** A letter, then letters, digits or `_`. Recorded in every workflow this definition starts. */
  name: string;
  /**
   * An integer >= 1. A running workflow keeps the version that started it: change steps under a
   * new version and register both (a registry refuses another definition under the same name and version).
   */
  version: number;
  /** One line for people (`ecl definitions`); default empty. */
  description?: string;
  /**
   * Validates the input at start; its *output* (defaults and transforms applied) is recorded in
   * `WorkflowStarted` and is `ctx.input`, so it must be plain JSON.
   */
  input: S;
  /** See {@link InputLoader}. */
  loadInput?: InputLoader;
  /** At least one, in order. A validating step judges the nearest producing step before it. */
  steps: readonly StepSpec<z.output<S>>[];
  /**
   * Token and/or cost limit for the whole workflow, or a function of the input; resolved at start
   * and recorded. Checked after each step completes: over it, `onExceed` `fail`s the workflow or
   * `escalate`s to a person (APPROVE waives the budget, REJECT fails).
   */
  budget?: Derived<z.output<S>, Budget | undefined>;
  /**
   * A hand-written machine instead of the compiled one. It must follow the same protocol: its
   * events are the recorded workflow events, a running state value is `{ <step>: <phase> }` with
   * the phases of STEP_PHASES, and its root `meta.ecl` carries this workflow's structure (build it
   * with `workflowSetup` to reuse the guards and actions). Checked when the definition is made.
   */
  machine?: WorkflowMachine;
}

/**
 * A workflow definition, as `defineWorkflow` returns it: register it (`createRegistry`,
 * `EngineOptions.definitions`) or export it from a workflow module. `I` is the input schema's
 * output type. Treat it as read-only data; `machine` and `structure` are for ECL's runtime and tools.
 */
export interface WorkflowDefinition<I> {
  /** As in the spec: recorded in every workflow it starts, with `version`. */
  readonly name: string;
  readonly version: number;
  /** The spec's description, or empty. */
  readonly description: string;
  /** Validates (and defaults) the workflow input at the edge. */
  readonly input: z.ZodType<I, unknown>;
  /** Prepares a CLI input before validation; see {@link InputLoader}. */
  readonly loadInput?: InputLoader;
  /** The pure part: what the machine is compiled from. */
  readonly structure: WorkflowStructure;
  /** The XState machine the runtime folds events with: compiled from `structure`, or the hand-written one. */
  readonly machine: WorkflowMachine;
  /** The step specs as given. */
  readonly steps: readonly StepSpec<I>[];
  /** Caps, cap policies, gates and budget for one input, recorded in WorkflowStarted. */
  resolvePolicies(input: I): Policies;
  /** The effectful part: a step's implementation, looked up by name by the runtime. */
  activity(step: string): ActivityStepSpec<I> | undefined;
}

/** A definition of any input type: what registries, engines and loaders take. */
// The registry holds definitions of many input types; `run` is contravariant in its input, so only `any` unifies them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorkflowDefinition = WorkflowDefinition<any>;

/** A hand-written machine must carry the same structure the definition declares. */
function checkedMachine(machine: WorkflowMachine, structure: WorkflowStructure): WorkflowMachine {
  assertValidStructure(structure);
  const carried = (machine.root.meta as Record<string, unknown> | undefined)?.[STRUCTURE_META_KEY] as WorkflowStructure | undefined;
  const same =
    carried !== undefined &&
    carried.name === structure.name &&
    carried.version === structure.version &&
    JSON.stringify(carried.steps) === JSON.stringify(structure.steps);
  if (!same)
    throw new DefinitionError(
      `Workflow "${structure.name}": the hand-written machine's root meta.${STRUCTURE_META_KEY} must equal the definition's structure ${JSON.stringify(structure)}`,
    );
  const states = Object.keys(machine.root.states);
  for (const name of [...structure.steps.map((step) => step.name), 'idle', 'completed', 'failed', 'cancelled']) {
    if (!states.includes(name)) throw new DefinitionError(`Workflow "${structure.name}": the hand-written machine has no state "${name}"`);
  }
  return machine;
}

const derive = <I, T>(value: Derived<I, T>, input: I): T => (typeof value === 'function' ? (value as (input: I) => T)(input) : value);

/**
 * Declares a workflow. The returned definition's input type is the schema's *output* type, and
 * each step's `ctx.input` has it. The machine is compiled right away, so structural mistakes fail
 * when the module loads: throws a `DefinitionError` (check with `isDefinitionError`) naming the
 * workflow and the step (bad or reserved name, duplicate step, no steps, version not an integer
 * >= 1, a validating step with no producing step before it, a misplaced gate or `revises`, or a
 * hand-written machine that does not match).
 */
export function defineWorkflow<S extends z.ZodType>(spec: WorkflowSpec<S>): WorkflowDefinition<z.output<S>> {
  type I = z.output<S>;
  let previousProducer: string | undefined;
  const structureSteps = spec.steps.map((step): StepStructure => {
    if (step.kind === 'produce') {
      previousProducer = step.name;
      return { name: step.name, kind: 'produce' };
    }
    if (step.kind === 'validate')
      return previousProducer === undefined ? { name: step.name, kind: 'validate' } : { name: step.name, kind: 'validate', validates: previousProducer };
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
