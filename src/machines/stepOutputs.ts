import type { z } from 'zod';
import type { JsonValue } from './context.js';
import type { DecisionContext, ProduceStepSpec, RouteStepSpec, StepSpec } from './workflowSpec.js';
import type { StepRun } from './stepContext.js';

/**
 * Output schemas by producing step name, as `WorkflowSpec.outputs` takes them. A schema's *output*
 * type (after transforms) is what is recorded in `StepCompleted` and what later steps see, so it
 * must be JSON: a schema whose output is not (`z.date()`, a transform to a `Map`) does not compile.
 */
export type OutputSchemas = { readonly [step: string]: z.ZodType<JsonOutput> };

/**
 * JSON as an output schema may type it: an object's field may also be `undefined`, which JSON
 * leaves out. zod types `z.number().optional()` as `number | undefined`, which a project with
 * `exactOptionalPropertyTypes` would otherwise not let through.
 */
type JsonOutput = string | number | boolean | null | JsonOutput[] | { [key: string]: JsonOutput | undefined };

/** A workflow that declares no output schemas. */
export type NoOutputSchemas = Record<never, never>;

/**
 * What `ctx.outputs` is for a workflow with output schemas `O`: a declared step's output has its
 * schema's output type, any other step's is `JsonValue`. Every entry may be `undefined`: all the
 * steps of a workflow share this type, and a step sees only the outputs of the steps that
 * completed before it runs (on its own first iteration, not its own).
 */
export type StepOutputs<O extends OutputSchemas = NoOutputSchemas> = keyof O extends never
  ? Readonly<Record<string, JsonValue | undefined>>
  : { readonly [K in keyof O]?: z.output<O[K]> } & Readonly<Record<string, JsonValue | undefined>>;

/**
 * Checks each step as written (`T`, the steps tuple `defineWorkflow` infers): a producing step with
 * an output schema must resolve to the schema's *input* type, and no step may carry a property its
 * kind does not have (inferring `T` from the steps would otherwise let a misspelt `timeoutMS` pass).
 */
export type StepChecks<T, I, O extends OutputSchemas> = {
  readonly [K in keyof T]: { [P in Exclude<keyof T[K], KnownKeys<T[K], I, O>>]: never } & (T[K] extends {
    kind: 'produce';
    name: infer N extends keyof O;
  }
    ? // The whole step (its options too): a one-step workflow's checks must describe it, or its literal is refused.
      Omit<ProduceStepSpec<I, O>, 'kind' | 'name' | 'run'> & { readonly kind: 'produce'; readonly name: N; run: StepRun<I, z.input<O[N]>, O> }
    : T[K] extends { kind: 'route'; name: infer N extends string; to: readonly (infer To extends string)[] }
      ? string extends To
        ? unknown // a `to` built at run time (`string[]`): the checks at definition time are all there is
        : // A route goes to steps of this workflow that a route may choose, and chooses one of its own `to`; its options as its kind has them.
          Omit<RouteStepSpec<I, O>, 'kind' | 'name' | 'to' | 'choose'> & {
            readonly kind: 'route';
            readonly name: N;
            readonly to: readonly (string extends N ? RouteTarget<T> : Exclude<RouteTarget<T>, N>)[];
            choose: (ctx: DecisionContext<I, O>) => To;
          }
      : unknown);
};

/** What a route may choose: a step of the workflow that is not a validating one (it follows its producer), or `completed`. */
type RouteTarget<T> = T extends readonly unknown[]
  ? Exclude<Extract<T[number], { kind: string; name: string }>, { kind: 'validate' }>['name'] | 'completed'
  : never;

type KnownKeys<E, I, O extends OutputSchemas> = E extends { kind: infer Kind } ? keyof Extract<StepSpec<I, O>, { kind: Kind }> : never;
