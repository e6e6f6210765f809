import type { z } from 'zod';
import type { WorkflowMachine } from './compileMachine.js';
import type { JsonValue } from './context.js';
import type { StepDecisions } from './nextStep.js';
import type { Budget, CapPolicy, Judgement, Policies } from './events.js';
import type { StepRun } from './stepContext.js';
import type { NoOutputSchemas, OutputSchemas, StepChecks, StepOutputs } from './stepOutputs.js';
import type { WorkflowStructure } from './structure.js';

/** A value, or a function of the workflow input that computes it. */
export type Derived<I, T> = T | ((input: I) => T);

/**
 * A producing step: a model call or a plain async function, run by the runtime. Its output is
 * recorded in `StepCompleted` and is what a following validating step judges and what later steps
 * see in `ctx.outputs`; the last producing step's output is the workflow's output. Declare its
 * schema in {@link WorkflowSpec.outputs} to have it checked and typed. `O` is the workflow's output schemas.
 */
export interface ProduceStepSpec<I, O extends OutputSchemas = NoOutputSchemas> {
  kind: 'produce';
  /** Unique within the workflow: a letter, then letters, digits or `_`; not `idle`, `completed`, `failed` or `cancelled`. */
  name: string;
  /**
   * The step's work; resolves to its JSON output. Runs once per attempt, and again only as
   * {@link StepRun} says: an attempt interrupted by a crash or a shutdown (no outcome recorded) runs
   * again from its start as a new attempt, where every journaled call (`ctx.complete`, `ctx.run`)
   * whose outcome was recorded returns it without running again — only the interrupted call runs
   * again; an error its {@link RetryPolicy} retries is recorded (`StepFailed` with `retryAt`) and
   * runs again then as the next attempt, with the same journal; an iteration whose outcome was
   * recorded never runs again; a revision runs it again as a new iteration with `ctx.feedback` and
   * an empty journal.
   *
   * With a schema in {@link WorkflowSpec.outputs} it must resolve to the schema's *input* type (it
   * does not compile otherwise), and what it resolves to is parsed before it is recorded.
   */
  run: StepRun<I, JsonValue, O>;
  /**
   * Per-attempt time limit in ms, counted from the attempt's start and recorded as the due time
   * `timeoutAt` in its `StepStarted`, so it also fires after a restart. When it passes, `ctx.signal`
   * aborts and `StepFailed` `STEP_TIMEOUT` is recorded: the workflow fails, unless
   * {@link ProduceStepSpec.onTimeout} says `retry`. Each attempt (a retry, or a re-run after a
   * crash) gets its own due time.
   */
  timeoutMs?: number;
  /** How a failed attempt is retried as a new, recorded attempt; see {@link RetryPolicy}. Default: the engine's `retry` option. */
  retry?: RetryPolicy;
  /**
   * When `timeoutMs` passes: `fail` the step (default: the workflow fails with `STEP_TIMEOUT`), or
   * `retry` it as a new recorded attempt under `retry`, each attempt with its own time limit; the
   * last attempt's timeout fails the step.
   */
  onTimeout?: 'fail' | 'retry';
}

/**
 * How a step's failed attempt is run again: each retry is a new recorded attempt (`StepFailed`
 * with `retryAt`, then `StepStarted` with the next attempt number) after a backoff recorded as a
 * due time, so a retry also happens after a restart. Which errors retry: a `RetryableError`, or an
 * error flagged `retryable: true`, or a network or timeout error (`ECONNRESET`, `ETIMEDOUT`, a
 * failed `fetch`, …); never a `TerminalError`, a programming error (`TypeError`, `ReferenceError`,
 * …), a model call's `LlmError` (the model provider retried it already) or a journaled call's
 * error (a re-run would only replay it).
 */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 3; 1 turns retries off). Attempts after a crash count too. */
  maxAttempts?: number;
  /** Delay before the first retry in ms (default 200); doubles each retry. */
  initialDelayMs?: number;
  /** Largest delay in ms (default 5,000; never below `initialDelayMs`). Fields left out come from the engine's `retry` option. */
  maxDelayMs?: number;
}

/**
 * What a routing, sleeping or signal-timeout function sees: the input and every output so far,
 * typed by {@link WorkflowSpec.outputs} as a step's `ctx.outputs` is. It must be pure (no clock, no
 * I/O): it runs once, when its step is entered, and what it decides is recorded. An output moved to
 * the artifact store (over `maxInlineOutputBytes`) cannot be read here: reading it throws, which
 * fails the workflow with `DECISION_FAILED` naming the step and the output.
 */
export interface DecisionContext<I, O extends OutputSchemas = NoOutputSchemas> {
  readonly input: I;
  readonly outputs: StepOutputs<O>;
}

/**
 * A durable timer: the workflow waits until a due time, recorded in `SleepStarted`, so it wakes
 * also after a restart (at once, when the time passed while the process was down). Give `for` or `until`.
 */
export interface SleepStepSpec<I, O extends OutputSchemas = NoOutputSchemas> {
  kind: 'sleep';
  /** Unique within the workflow; the same rules as a producing step's name. */
  name: string;
  /** How long to sleep in ms, counted from when the step is entered, or a function of the input and outputs. */
  for?: number | ((ctx: DecisionContext<I, O>) => number);
  /** Until when (a `Date` or an ISO string), from the input and outputs. */
  until?: (ctx: DecisionContext<I, O>) => Date | string;
}

/**
 * Waits for a named signal from outside (`POST /v1/workflows/:id/events` with `type` = the signal's
 * name, or `ecl send <id> <signal> --data …`). Its data, checked against `schema`, is the step's output.
 */
export interface SignalStepSpec<I, O extends OutputSchemas = NoOutputSchemas> {
  kind: 'signal';
  /** Unique within the workflow; the same rules as a producing step's name. */
  name: string;
  /** The signal's name: a lowercase letter, then letters, digits or `_` (commands are upper case). */
  signal: string;
  /**
   * The data's zod schema; what it parses to is recorded and becomes the step's output. Default: any
   * JSON. Declare it in {@link WorkflowSpec.outputs} instead to have the output typed in later steps.
   */
  schema?: z.ZodType;
  /** Stop waiting after this many ms from when the step is entered (or a function of the input and outputs); default: wait for ever. */
  timeoutMs?: number | ((ctx: DecisionContext<I, O>) => number);
  /** When the timeout passes: `fail` the workflow (default), or `continue` with a `null` output. */
  onTimeout?: 'fail' | 'continue';
}

/**
 * Chooses the next step from the input and outputs (a pure function); the choice is recorded in
 * `RouteChosen`. A route whose `to` holds an earlier step is a loop: it needs `maxLoops`
 * and `onCap`. `to` may hold `completed`, which ends the workflow. Runs no code of its own beside `choose`.
 */
export interface RouteStepSpec<I, O extends OutputSchemas = NoOutputSchemas> {
  kind: 'route';
  /** Unique within the workflow; the same rules as a producing step's name. */
  name: string;
  /** The steps it may choose (not validating steps, which follow their producer), or `completed`. */
  to: readonly string[];
  /**
   * Returns one of `to`, which `defineWorkflow` types it to (a string computed at run time must be
   * narrowed first). Anything else (from JavaScript), or a throw, fails the workflow with
   * `DECISION_FAILED`. (The `'completed' | (string & {})` keeps the literals a `choose` without
   * parameters returns from widening to `string` before they are checked against `to`.)
   */
  choose: (ctx: DecisionContext<I, O>) => 'completed' | (string & {});
  /** How many times it may send the workflow back to an earlier step (required for a loop). */
  maxLoops?: number;
  /** When a loop would pass `maxLoops`: `fail` the workflow, or `continue` with the step after the route. */
  onCap?: 'fail' | 'continue';
}

/**
 * A validating step: judges the output of the nearest producing step before it (read it from
 * `ctx.outputs`). `approve` moves on; `revise` sends the producer back with the feedback, up to
 * the cap.
 */
export interface ValidateStepSpec<I, O extends OutputSchemas = NoOutputSchemas> {
  kind: 'validate';
  /** Unique within the workflow; the same rules as a producing step's name. */
  name: string;
  /**
   * Returns a {@link Judgement} `{ verdict: 'approve' | 'revise', feedback }`, checked at run time
   * (anything else fails the step with `INVALID_OUTPUT`). Runs more than once exactly as a
   * producing step's `run` does (see {@link StepRun}): an attempt interrupted by a crash or a
   * shutdown runs again from its start as a new attempt, its recorded journaled calls returning
   * their recorded outcomes (only the interrupted call runs again); an error its
   * {@link RetryPolicy} retries runs again as the next recorded attempt; an iteration whose outcome
   * was recorded never runs again; each revision of the producer is judged at the next iteration.
   */
  run: StepRun<I, Judgement, O>;
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
  /** See {@link ProduceStepSpec.retry}. */
  retry?: RetryPolicy;
  /** See {@link ProduceStepSpec.onTimeout}. */
  onTimeout?: 'fail' | 'retry';
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
export type StepSpec<I, O extends OutputSchemas = NoOutputSchemas> =
  ProduceStepSpec<I, O> | ValidateStepSpec<I, O> | ApprovalStepSpec<I> | SleepStepSpec<I, O> | SignalStepSpec<I, O> | RouteStepSpec<I, O>;
/**
 * A step as `defineWorkflow` infers it from the steps as written: besides any {@link StepSpec}, a
 * producing step named in `outputs` whose `run` resolves to its schema's input type. That member
 * makes the schema's type part of `run`'s contextual return type, so literals in what it returns
 * (an enum's values, inside an object too) stay literal instead of widening to `string`. (Only for a
 * `run` that takes `ctx`: one without parameters is typed before the schemas are inferred, so its
 * literals need `as const`.)
 */
export type InferredStepSpec<I, O extends OutputSchemas = NoOutputSchemas> =
  StepSpec<I, O> | { [N in keyof O & string]: Omit<ProduceStepSpec<I, O>, 'name' | 'run'> & { name: N; run: StepRun<I, z.input<O[N]>, O> } }[keyof O & string];
/** The steps that run code (the runtime's activities), as `WorkflowDefinition.activity` returns them. */
export type ActivityStepSpec<I> = ProduceActivity<I> | ValidateStepSpec<I>;

/** A producing step as the runtime runs it: the spec as given, with its schema from {@link WorkflowSpec.outputs}. */
export interface ProduceActivity<I> extends ProduceStepSpec<I> {
  /**
   * The step's output schema, if `WorkflowSpec.outputs` declares one: what `run` resolves to is
   * parsed with it when the step completes, and the parsed value (transforms applied) is recorded;
   * a mismatch fails the step with `INVALID_OUTPUT`. A replay reads the recorded value and does not parse again.
   */
  readonly output?: z.ZodType<JsonValue>;
}

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

/**
 * What `defineWorkflow` takes. `S` is the input's zod schema; steps see its output type. `O` are the
 * output schemas (inferred from `outputs`), `T` the steps as written (inferred from `steps`).
 */
export interface WorkflowSpec<
  S extends z.ZodType,
  O extends OutputSchemas = NoOutputSchemas,
  T extends readonly InferredStepSpec<z.output<S>, O>[] = readonly StepSpec<z.output<S>, O>[],
  N extends OutputStepName<T> | undefined = OutputStepName<T> | undefined,
> {
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
  /**
   * Output schemas of producing and signal steps, by step name (see docs/language/typed-outputs.md;
   * a signal step's is its data's schema, nullable when it goes on after a timeout). A step's
   * output is parsed with its schema when the step completes (a mismatch fails the step with
   * `INVALID_OUTPUT`, naming the path and the issue) and the parsed value is recorded, so a
   * schema's *output* type must be JSON. Later steps see it with that type in `ctx.outputs`, and
   * the step's `run` must resolve to the schema's *input* type. Steps without a schema stay
   * `JsonValue`. A name that is not a producing or signal step's throws a `DefinitionError`.
   */
  outputs?: O;
  /** At least one, in order. A validating step judges the nearest producing step before it. */
  steps: T & StepChecks<T, z.output<S>, O>;
  /**
   * Token and/or cost limit for the whole workflow, or a function of the input; resolved at start
   * and recorded. Checked after each step completes: over it, `onExceed` `fail`s the workflow or
   * `escalate`s to a person (APPROVE waives the budget, REJECT fails).
   */
  budget?: Derived<z.output<S>, Budget | undefined>;
  /**
   * When the whole workflow must be finished: `afterMs` from its start (or a function of the
   * input), or `at` (a function of the input). Resolved at start and recorded; when it passes, the
   * workflow is failed (`DEADLINE_PASSED`, the default) or cancelled, whatever it is doing.
   */
  deadline?: { afterMs?: Derived<z.output<S>, number>; at?: (input: z.output<S>) => Date | string; onPass?: 'fail' | 'cancel' };
  /**
   * A hand-written machine instead of the compiled one. It must follow the same protocol: its
   * events are the recorded workflow events, a running state value is `{ <step>: <phase> }` with
   * the phases of STEP_PHASES, and its root `meta.ecl` carries this workflow's structure (build it
   * with `workflowSetup` to reuse the guards and actions). Checked when the definition is made.
   */
  machine?: WorkflowMachine;
  /**
   * The step whose output is the workflow's output (what `ctx.child` resolves to, `output` in its
   * status, `WorkflowCompleted.output`): a producing or signal step. Default: the last producing
   * step that ran. Declared in `outputs`, it types a parent's `ctx.child(name, definition, input)`.
   */
  output?: N;
}

/** The names of the steps that may be a workflow's output: its producing and signal steps. */
export type OutputStepName<T extends readonly unknown[]> = Extract<T[number], { kind: 'produce' | 'signal'; name: string }>['name'];

/**
 * A workflow's output type: the schema's output type of the step named in `output`, when `outputs`
 * declares it (or null, when a route may end the workflow before that step); else `JsonValue`.
 */
export type WorkflowOutputOf<T extends readonly unknown[], O extends OutputSchemas, N> = N extends keyof O & string
  ? [Extract<T[number], { kind: 'route' }>] extends [never]
    ? z.output<O[N]>
    : z.output<O[N]> | null
  : JsonValue;

/** Type-only: carries a definition's output type (never set at run time). */
declare const OUTPUT_TYPE: unique symbol;

/** What a child workflow of definition `D` resolves to (`ctx.child`): its declared output's type, else `JsonValue`. */
export type OutputOf<D> = D extends { readonly [OUTPUT_TYPE]?: infer Out } ? (unknown extends Out ? JsonValue : Exclude<Out, undefined>) : JsonValue;

/**
 * A workflow definition, as `defineWorkflow` returns it: register it (`createRegistry`,
 * `EngineOptions.definitions`) or export it from a workflow module. `I` is the input schema's
 * output type, `In` its input type (what a start takes: fields with defaults optional). Treat it as
 * read-only data; `machine` and `structure` are for ECL's runtime and tools.
 */
export interface WorkflowDefinition<I, In = unknown, Signals = Record<string, JsonValue>, Output = JsonValue> {
  /** Type-only: the workflow's output type (see `OutputOf`). */
  readonly [OUTPUT_TYPE]?: Output;
  /** As in the spec: recorded in every workflow it starts, with `version`. */
  readonly name: string;
  readonly version: number;
  /** The spec's description, or empty. */
  readonly description: string;
  /** Validates (and defaults) the workflow input at the edge. */
  readonly input: z.ZodType<I, In>;
  /** Prepares a CLI input before validation; see {@link InputLoader}. */
  readonly loadInput?: InputLoader;
  /** The pure part: what the machine is compiled from. */
  readonly structure: WorkflowStructure;
  /** The XState machine the runtime folds events with: compiled from `structure`, or the hand-written one. */
  readonly machine: WorkflowMachine;
  /** The step specs as given. */
  readonly steps: readonly StepSpec<I>[];
  /** Caps, cap policies, gates, budget and deadline for one input started at `now`, recorded in WorkflowStarted. */
  resolvePolicies(input: I, now: Date): Policies;
  /** The effectful part: a step's implementation, looked up by name by the runtime. */
  activity(step: string): ActivityStepSpec<I> | undefined;
  /** The decisions made by the definition's code when a sleep, signal or route step is entered. */
  readonly decisions: StepDecisions;
  /** A signal step's data schema, by step name. */
  signalSchema(step: string): z.ZodType | undefined;
  /**
   * A signal for `engine.send(workflowId, …)`: `{ type: name, data }`, with the name and the data
   * checked at compile time against this definition's signal steps (the data has the input type of
   * the step's schema). Throws when no signal step of this definition waits for `name`; the data
   * is checked against the schema when the workflow receives it, as any signal's is.
   */
  signal<N extends keyof Signals & string>(name: N, data: Signals[N]): SignalCommand<N, Signals[N]>;
}

/** A signal as `engine.send` takes it; see {@link WorkflowDefinition.signal}. */
export interface SignalCommand<N extends string = string, D = JsonValue> {
  readonly type: N;
  readonly data: D;
}

/**
 * The signals a definition's steps wait for, by signal name: the input type of the data schema
 * declared in `outputs` under the step's name or as the step's `schema`, else any JSON.
 */
export type SignalsOf<T extends readonly unknown[], O extends OutputSchemas> = {
  [S in Extract<T[number], { kind: 'signal'; signal: string }> as S['signal']]: S extends { name: infer N extends keyof O }
    ? z.input<O[N]>
    : S extends { schema: infer Z extends z.ZodType }
      ? z.input<Z>
      : JsonValue;
};

/** A definition of any input type: what registries, engines and loaders take. */
// The registry holds definitions of many input types; `run` is contravariant in its input, so only `any` unifies them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorkflowDefinition = WorkflowDefinition<any, any, any, any>;

/**
 * What starting `D` takes as input: a definition's schema input type, so `engine.start(definition, input)`
 * and `ctx.child(name, definition, input)` are checked at compile time; `unknown` for a definition
 * named by a string (checked at run time only).
 */
export type StartInput<D> = D extends WorkflowDefinition<any, infer In, any, any> ? In : unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
