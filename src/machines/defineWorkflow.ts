import type { z } from 'zod';
import { STRUCTURE_META_KEY, type WorkflowMachine, compileMachine } from './compileMachine.js';
import type { JsonValue, WorkflowContext } from './context.js';
import type { StepDecisions } from './nextStep.js';
import { timeoutRetryAt } from './retrySchedule.js';
import type { Policies } from './events.js';
import type { NoOutputSchemas, OutputSchemas } from './stepOutputs.js';
import { decisionOutputs } from './spilledOutputs.js';
import { DefinitionError, type StepStructure, type WorkflowStructure, unknownSignal } from './structure.js';
import { assertValidStructure } from './validateStructure.js';
import type {
  ActivityStepSpec,
  AnyWorkflowDefinition,
  DecisionContext,
  Derived,
  InferredStepSpec,
  SignalStepSpec,
  SignalsOf,
  OutputStepName,
  WorkflowOutputOf,
  StepSpec,
  WorkflowDefinition,
  WorkflowSpec,
} from './workflowSpec.js';

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

/** The output schemas, each naming a producing step or a signal step (whose data it checks). */
function outputSchemasOf<S extends z.ZodType>(spec: WorkflowSpec<S>): OutputSchemas {
  const outputs = spec.outputs ?? {};
  for (const [name, schema] of Object.entries(outputs)) {
    const refuse = (why: string): never => {
      throw new DefinitionError(`Workflow "${spec.name}": outputs.${name} ${why}`);
    };
    const step = spec.steps.find((candidate) => (candidate.kind === 'produce' || candidate.kind === 'signal') && candidate.name === name);
    if (step === undefined) refuse('names no producing or signal step');
    const problem = schemaProblem(schema);
    if (problem !== undefined) refuse(problem);
    if (step?.kind !== 'signal') continue;
    if (step.schema !== undefined) refuse(`and signal step "${name}"'s schema both check its data: declare it once, in outputs to have the output typed`);
    // A timed-out signal step that goes on records null as its output, so the output's type must hold it.
    if (step.onTimeout === 'continue' && !acceptsNull(schema as z.ZodType))
      refuse(`must accept null (e.g. .nullable()): signal step "${name}" goes on with a null output when it times out`);
  }
  return outputs;
}

/**
 * Why a value cannot be a schema of a definition: not a zod schema, or one of zod 3, whose types
 * and JSON Schema differ (ECL takes zod 4's, the peer dependency).
 */
function schemaProblem(schema: unknown): string | undefined {
  if (typeof (schema as Partial<z.ZodType> | undefined)?.safeParse !== 'function') return 'is not a zod schema';
  if (!('_zod' in (schema as object))) return 'is a zod 3 schema: ECL takes zod 4 schemas (`npm install zod@^4`, then `import { z } from "zod"`)';
  return undefined;
}

function acceptsNull(schema: z.ZodType): boolean {
  try {
    return schema.safeParse(null).success;
  } catch {
    return false;
  }
}

// An output's `undefined` fields (zod's `.optional()`) are left out when it is recorded: JSON, as the runtime sees it.
const withOutputSchema = <I>(step: ActivityStepSpec<I>, outputs: OutputSchemas): ActivityStepSpec<I> =>
  step.kind === 'produce' && Object.hasOwn(outputs, step.name) ? { ...step, output: outputs[step.name] as z.ZodType<JsonValue> } : step;

const derive = <I, T>(value: Derived<I, T>, input: I): T => (typeof value === 'function' ? (value as (input: I) => T)(input) : value);

/** A due time from a definition's function: a valid Date or ISO string, as ISO. */
function isoOf(value: Date | string, what: string): string {
  const time = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(time)) throw new Error(`The time for ${what} is not a valid date: ${String(value)}`);
  return new Date(time).toISOString();
}

const isDuration = (ms: number): boolean => Number.isFinite(ms) && ms >= 0;

function durationOf(ms: number, what: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new Error(`The duration for ${what} must be a number of ms >= 0, not ${String(ms)}`);
  return ms;
}

/**
 * Declares a workflow. The returned definition's input type is the schema's *output* type, and
 * each step's `ctx.input` has it. The machine is compiled right away, so structural mistakes fail
 * when the module loads: throws a `DefinitionError` (check with `isDefinitionError`) naming the
 * workflow and the step (bad or reserved name, duplicate step, no steps, version not an integer
 * >= 1, a validating step with no producing step before it, a misplaced gate or `revises`, an
 * `outputs` key that names no producing or signal step, or a hand-written machine that does not match).
 * `ctx.outputs` is typed by `outputs`; the steps are inferred as written (`T`), so each is checked
 * against its own schema, with no annotations in the steps.
 */
export function defineWorkflow<
  S extends z.ZodType,
  const O extends OutputSchemas = NoOutputSchemas,
  const T extends readonly InferredStepSpec<z.output<S>, O>[] = readonly StepSpec<z.output<S>, O>[],
  const N extends OutputStepName<T> | undefined = undefined,
>(declared: WorkflowSpec<S, O, T, N>): WorkflowDefinition<z.output<S>, z.input<S>, SignalsOf<T, O>, WorkflowOutputOf<T, O, N>> {
  type I = z.output<S>;
  // The output types are for the steps' authors; the runtime checks outputs with the schemas themselves.
  const spec = declared as unknown as WorkflowSpec<S>;
  const outputs = outputSchemasOf(spec);
  let previousProducer: string | undefined;
  const structureSteps = spec.steps.map((step): StepStructure => {
    if (step.kind === 'produce') {
      previousProducer = step.name;
      return { name: step.name, kind: 'produce' };
    }
    if (step.kind === 'validate')
      return previousProducer === undefined ? { name: step.name, kind: 'validate' } : { name: step.name, kind: 'validate', validates: previousProducer };
    if (step.kind === 'sleep') return { name: step.name, kind: 'sleep' };
    if (step.kind === 'signal') return { name: step.name, kind: 'signal', signal: step.signal, onTimeout: step.onTimeout ?? 'fail' };
    if (step.kind === 'route') {
      const route: { -readonly [K in keyof StepStructure]: StepStructure[K] } = { name: step.name, kind: 'route', to: [...step.to] };
      if (step.maxLoops !== undefined) route.maxLoops = step.maxLoops;
      if (step.onCap !== undefined) route.onCap = step.onCap;
      return route;
    }
    if (step.kind === 'approval')
      return step.revises === undefined ? { name: step.name, kind: 'approval' } : { name: step.name, kind: 'approval', revises: step.revises };
    const { kind, name } = step as { kind?: unknown; name?: unknown };
    throw new DefinitionError(
      `Workflow "${spec.name}": step "${String(name)}" has an unknown kind ${JSON.stringify(kind)}; kinds: produce, validate, approval, sleep, signal, route`,
    );
  });
  const refuse = (message: string): never => {
    throw new DefinitionError(`Workflow "${spec.name}": ${message}`);
  };
  const inputProblem = schemaProblem(spec.input);
  if (inputProblem !== undefined) refuse(`input ${inputProblem}`);
  for (const step of spec.steps) {
    const signalProblem = step.kind === 'signal' && step.schema !== undefined ? schemaProblem(step.schema) : undefined;
    if (signalProblem !== undefined) refuse(`signal step "${step.name}": schema ${signalProblem}`);
    if (step.kind === 'sleep' && (step.for === undefined) === (step.until === undefined))
      refuse(`sleep step "${step.name}" needs exactly one of for and until`);
    if (step.kind === 'sleep' && typeof step.for === 'number' && !isDuration(step.for)) refuse(`sleep step "${step.name}": for must be a number of ms >= 0`);
    if (step.kind === 'signal' && typeof step.timeoutMs === 'number' && !isDuration(step.timeoutMs))
      refuse(`signal step "${step.name}": timeoutMs must be a number of ms >= 0`);
    if ((step.kind === 'produce' || step.kind === 'validate') && step.onTimeout !== undefined && step.onTimeout !== 'fail' && step.onTimeout !== 'retry')
      refuse(`step "${step.name}": onTimeout must be 'fail' or 'retry'`);
    if (step.kind === 'signal' && step.onTimeout !== undefined && step.onTimeout !== 'fail' && step.onTimeout !== 'continue')
      refuse(`signal step "${step.name}": onTimeout must be 'fail' or 'continue'`);
  }
  const deadline = spec.deadline;
  if (deadline !== undefined) {
    if ((deadline.afterMs === undefined) === (deadline.at === undefined)) refuse('the deadline needs exactly one of afterMs and at');
    if (typeof deadline.afterMs === 'number' && !isDuration(deadline.afterMs)) refuse('the deadline: afterMs must be a number of ms >= 0');
    if (deadline.onPass !== undefined && deadline.onPass !== 'fail' && deadline.onPass !== 'cancel') refuse("the deadline: onPass must be 'fail' or 'cancel'");
  }
  const structure: WorkflowStructure = {
    name: spec.name,
    version: spec.version,
    steps: structureSteps,
    ...(spec.output === undefined ? {} : { output: spec.output }),
  };
  const machine = spec.machine === undefined ? compileMachine(structure) : checkedMachine(spec.machine, structure);
  const activities = new Map<string, ActivityStepSpec<I>>();
  for (const step of spec.steps) if (step.kind === 'produce' || step.kind === 'validate') activities.set(step.name, withOutputSchema(step, outputs));
  const stepNamed = <K extends StepSpec<I>['kind']>(name: string, kind: K) => {
    const found = spec.steps.find((step) => step.name === name && step.kind === kind);
    if (found === undefined) throw new Error(`Workflow "${spec.name}" has no ${kind} step "${name}"`);
    return found as Extract<StepSpec<I>, { kind: K }>;
  };
  const seen = (context: WorkflowContext): DecisionContext<I> => ({ input: context.input as I, outputs: decisionOutputs(context.outputs) });
  const decisions: StepDecisions = {
    sleepUntil(step, context, now) {
      const sleep = stepNamed(step, 'sleep');
      if (sleep.until !== undefined) return isoOf(sleep.until(seen(context)), `sleep step "${step}"`);
      const ms = typeof sleep.for === 'function' ? sleep.for(seen(context)) : (sleep.for ?? 0);
      return new Date(Date.parse(now) + durationOf(ms, `sleep step "${step}"`)).toISOString();
    },
    signalTimeoutAt(step, context, now) {
      const timeout = stepNamed(step, 'signal').timeoutMs;
      if (timeout === undefined) return undefined;
      const ms = typeof timeout === 'function' ? timeout(seen(context)) : timeout;
      return new Date(Date.parse(now) + durationOf(ms, `signal step "${step}"`)).toISOString();
    },
    route: (step, context) => stepNamed(step, 'route').choose(seen(context)),
    timeoutRetryAt: (step, attempt, now) => timeoutRetryAt(activities.get(step), undefined, attempt, Date.parse(now)),
  };

  const definition: WorkflowDefinition<I, z.input<S>, SignalsOf<T, O>, WorkflowOutputOf<T, O, N>> = {
    name: spec.name,
    version: spec.version,
    description: spec.description ?? '',
    input: spec.input as unknown as z.ZodType<I, z.input<S>>,
    ...(spec.loadInput === undefined ? {} : { loadInput: spec.loadInput }),
    structure,
    machine,
    steps: spec.steps,
    resolvePolicies(input: I, now: Date): Policies {
      const policies: Policies = { loops: {}, approvals: {} };
      for (const step of spec.steps) {
        if (step.kind === 'validate') policies.loops[step.name] = { maxIterations: derive(step.maxIterations, input), onCap: derive(step.onCap, input) };
        if (step.kind === 'approval') policies.approvals[step.name] = derive(step.when ?? true, input);
      }
      const budget = spec.budget === undefined ? undefined : derive(spec.budget, input);
      if (budget !== undefined) policies.budget = budget;
      const deadline = spec.deadline;
      if (deadline !== undefined) {
        const at =
          deadline.at !== undefined
            ? isoOf(deadline.at(input), 'the deadline')
            : new Date(now.getTime() + durationOf(derive(deadline.afterMs ?? 0, input), 'the deadline')).toISOString();
        policies.deadline = { at, onPass: deadline.onPass ?? 'fail' };
      }
      return policies;
    },
    activity: (step) => activities.get(step),
    decisions,
    signalSchema: (step) =>
      spec.steps.find((candidate): candidate is SignalStepSpec<I> => candidate.kind === 'signal' && candidate.name === step)?.schema ??
      (Object.hasOwn(outputs, step) ? outputs[step] : undefined),
    signal(name, data) {
      const unknown = unknownSignal(structure, name);
      if (unknown !== undefined) throw new TypeError(unknown);
      return { type: name, data };
    },
  };
  Object.defineProperty(definition, DEFINITION_BRAND, { value: true });
  return definition;
}

// A registered symbol, so a definition made by another copy of this package is still recognised.
const DEFINITION_BRAND = Symbol.for('ecl.workflowDefinition');

/** Whether `value` was made by `defineWorkflow` (of any copy of this package). */
export const isWorkflowDefinition = (value: unknown): value is AnyWorkflowDefinition =>
  typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEFINITION_BRAND] === true;
