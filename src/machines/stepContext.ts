import type { StoredArtifact } from '../artifacts/index.js';
import type { LlmRequest, LlmResult } from '../llm/index.js';
import type { JsonValue } from './context.js';
import type { AnyWorkflowDefinition, OutputOf, StartInput } from './workflowSpec.js';
import type { NoOutputSchemas, OutputSchemas, StepOutputs } from './stepOutputs.js';

/**
 * A model call from a step: an `LlmRequest` without `context`, `signal` and `onDelta`, which the
 * runtime fills in (the step's workflow, step, iteration, attempt and idempotency key; the
 * attempt's AbortSignal; the live token stream for subscribers), plus the call's journal `name`.
 */
export type StepLlmRequest<T> = Omit<LlmRequest<T>, 'context' | 'signal' | 'onDelta'> & {
  /**
   * The call's name in the step's journal (see {@link StepContext.run} for the naming rules).
   * Default `complete#<n>`, `n` counting this run's `complete` calls from 1, named ones included.
   */
  name?: string | undefined;
};

/**
 * What a step's `run` receives. Everything effectful goes through it, so the runtime can record
 * each outcome, abort on CANCEL/timeout/shutdown, and keep the machine pure.
 *
 * Two units of durability: the step attempt ({@link StepRun} says when the step function runs
 * again) and, inside it, the journaled call: every `complete` and `run` records its outcome as a
 * `CallCompleted` event before the step goes on, and a re-run of the step gets recorded outcomes
 * back instead of calling again. `putArtifact` and anything the step does outside these two is
 * not journaled: it happens again whenever the step function runs again.
 */
export interface StepContext<I, O extends OutputSchemas = NoOutputSchemas> {
  /** The workflow's id (with its tenant prefix, `<tenant>:<id>`, when started through the API). */
  readonly workflowId: string;
  /** The definition's name. */
  readonly definition: string;
  /** This step's name. */
  readonly step: string;
  /**
   * 1-based iteration of this step's loop: a producing step sent back for revision runs again at
   * the next iteration; a validating step shares its producer's iteration.
   */
  readonly iteration: number;
  /**
   * 1-based attempt of this iteration, as recorded in its `StepStarted`: it goes up by one each time
   * an attempt that ended without an outcome is run again (after a crash or a shutdown). Retries of
   * a `retryable` error inside one attempt keep the same number.
   */
  readonly attempt: number;
  /**
   * `<workflowId>/<step>/<iteration>`: the same for every attempt and retry of this iteration, so an
   * external system that deduplicates on it sees one logical call. A revision (new iteration) gets
   * a new key.
   */
  readonly idempotencyKey: string;
  /**
   * The workflow input: the *output* of the definition's zod schema (defaults and transforms
   * applied), as recorded in `WorkflowStarted`. The same on every attempt and iteration.
   */
  readonly input: I;
  /**
   * Latest output of every step that completed so far, by step name (validating steps' judgements
   * included; large outputs already loaded back from the artifact store), as recorded.
   *
   * Typed by the workflow's output schemas `O` (`WorkflowSpec.outputs`, see {@link StepOutputs}): a
   * declared step's entry has its schema's *output* type, checked when the step completed (and not
   * again on replay: the recorded value is what comes back); any other step's is `JsonValue`. Every
   * entry may be `undefined`: a step that has not completed yet has none.
   */
  readonly outputs: StepOutputs<O>;
  /**
   * Feedback for this iteration, when a validating step or a person (REQUEST_REVISION) sent this
   * step back; `undefined` on a first iteration. Kept across re-run attempts until the step completes.
   */
  readonly feedback: string | undefined;
  /**
   * Aborted by CANCEL, by the step's `timeoutMs`, or by `engine.close()`. Pass it to whatever the
   * step awaits (`complete` gets it already). The runtime stops waiting for `run` on CANCEL and on
   * a timeout, but cannot stop the function itself: a `run` that ignores the signal keeps running,
   * and its side effects still happen, after its outcome was decided without it.
   */
  readonly signal: AbortSignal;
  /**
   * A journaled model call through the engine's `LlmProvider`, with this step's call context, the
   * signal and (while someone subscribes, and only when the call is really made) live token deltas.
   *
   * **Journaled.** The call's position in the step's run and its name (`request.name`, default
   * `complete#<n>`) are looked up in the step's journal first. If this iteration already recorded
   * a call there — an earlier attempt that was interrupted after it, or an earlier run of this
   * attempt that the engine retried — the model is not called: the recorded result is returned
   * (`text`, `output`, `stopReason` and the recorded accounting; `latencyMs` as recorded), or its
   * recorded error thrown again as an `LlmError` with the same `code` and message. Otherwise the
   * model is called and its outcome is appended as `CallCompleted` (with model, tokens, cost,
   * latency, provider attempts and prompt hash) before this promise settles. So a model call is
   * made again only when its outcome was not recorded: the process crashed or was killed during
   * it, `engine.close()` aborted it (an error caused by the aborted signal is never recorded), or
   * the store failed to append it. Naming and ordering rules are those of {@link StepContext.run}.
   *
   * The structured `output` is recorded as JSON and returned as JSON, live and replayed alike (a
   * tool schema that transforms its input into a non-JSON value gets the JSON form back).
   *
   * Rejects with an `LlmError` (check with `isLlmError`). Transient errors were already retried by
   * the provider's own policy (one layer): the engine never retries an `LlmError` again, so letting
   * it propagate fails the step (`StepFailed` with its code). The step's outcome totals the
   * accounting of every model call of the iteration, recorded ones replayed by a later attempt
   * included, each once.
   */
  complete<T>(request: StepLlmRequest<T>): Promise<LlmResult<T>>;
  /**
   * Runs `fn` — any side effect: an HTTP call, a tool, a database write — as a journaled call named
   * `name`, and returns its result. Modelled on Restate's `ctx.run`.
   *
   * **When `fn` runs.** `run` first looks the call up in the step's journal, by its position in
   * this run of the step. If its outcome was recorded — by an earlier attempt that was interrupted
   * later, or by an earlier run of this attempt — `fn` is **not** called: the recorded value is
   * returned, or the recorded error thrown again. Otherwise `fn` is called and its outcome is
   * appended as `CallCompleted` before `run` settles (persist, then act). `fn` is called more than
   * once only when:
   * - it throws an error flagged `retryable: true`: `run` calls it again within this call, up to
   *   `EngineOptions.retry.maxAttempts` calls in all (default 3) with exponential backoff; only the
   *   final outcome is recorded;
   * - the step's attempt ends before `fn`'s outcome is recorded — the process crashed or was
   *   killed while `fn` ran, `engine.close()` aborted `ctx.signal` and `fn` rejected (an error
   *   thrown while the signal is aborted is never recorded), or the store failed to append the
   *   outcome — then the step's next attempt (`ctx.attempt` + 1) runs again from its start, replays
   *   every recorded call without running it, and calls `fn` again. That interrupted call is the
   *   only one that runs twice.
   * Once its outcome is recorded, `fn` never runs again for this iteration (a revision is a new
   * iteration with a new journal). A workflow cancelled, or a step timed out, while `fn` runs does
   * not record its outcome, and the step ends.
   *
   * **What comes back.** The JSON form of `fn`'s result (`undefined` becomes `null`), the same value
   * on the run that called `fn` and on every replay. A result JSON cannot hold (a function, a
   * `bigint`, a top-level `NaN`) is recorded as an `INVALID_OUTPUT` error. A throw is recorded as
   * `{ code, message, retryable }` (`code`: the error's string `code`, else `ACTIVITY_ERROR`) and
   * rejects `run` with a `CallFailedError` carrying them (check with `isCallFailed`), live and
   * replayed alike: branch on `code`, not on the original error's class. The engine does not retry
   * the step for it again (`run` already did), so letting it propagate fails the step with its code.
   *
   * **Naming.** `name` must be a non-empty string, unique within one run of the step: using a name
   * twice fails the step with `DUPLICATE_CALL` (a `JournalError`; the step fails even if it catches
   * it). A re-run must make the same calls in the same order: the n-th call must have the name
   * (and be the same kind, `run` or `complete`) the n-th call was recorded with, and the step must
   * make every recorded call before it returns; otherwise the step fails with `NONDETERMINISM`,
   * naming the step and the call. Derive names and the order of calls from the input, earlier
   * outputs, the feedback and earlier calls' results — never from the clock, randomness or
   * `ctx.attempt`. Calls started together (`Promise.all`) are fine: a call's position is taken
   * when it starts. Do not call `ctx.run` or `ctx.complete` from inside `fn`: a replay does not run
   * `fn`, so the inner call would be missing from the re-run.
   */
  run<T extends JsonValue | void>(name: string, fn: () => Promise<T> | T): Promise<T>;
  /**
   * Writes `content` to the artifact store as `<workflowId>/<name>` and returns its hash, size and
   * location; the step's outcome records the last artifact written (path, hash, bytes, preview),
   * unless a spilled large output takes its place.
   *
   * Not journaled on its own: a re-run attempt (after a crash or a shutdown) or a retry inside the
   * attempt writes the same name again, replacing the file, so keep names deterministic (e.g. from
   * `step` and `iteration`). A write from an attempt whose outcome is never recorded stays in the
   * store.
   */
  putArtifact(name: string, content: string): Promise<StoredArtifact>;
  /**
   * Fan-out: runs `fn(item, index, call)` for every item as its own journaled call named
   * `<name>/<index>`, at most `options.concurrency` at once (default 8), started in index order, and
   * resolves once they all finished (or, with `options.first: k`, once k succeeded) to their
   * results **in item order**.
   *
   * **Durability.** All the items' positions in the step's journal are taken when `map` is called
   * (one each, in index order, then one for the join under `first`), so they do not depend on which
   * item finishes first. Each item's outcome is recorded (`CallCompleted`) when it finishes; a re-run
   * of the step after a crash returns the recorded ones without running them and runs only the items
   * that had not finished — each interrupted item exactly once more, replaying the calls it had
   * recorded in its own journal (`call.run`, `call.complete`). `fn` runs again under the rules of
   * {@link StepContext.run} (a retryable error, an interrupted attempt). Inside `fn`, the step's
   * journaled calls (`ctx.run`, `ctx.complete`, `ctx.child`, a nested `ctx.map`) fail the step with
   * `INVALID_CALL` — items finish in any order, so they cannot take the step journal's positions:
   * use `call.run` for the item's side effects, `call.complete` for its model calls, `call.child`
   * for a child workflow of the item, `call.signal` for anything it awaits.
   *
   * **Item errors.** `onItemError: 'fail'` (default): the first item error (after that item's own
   * retries) aborts the items still running — they record no outcome — and rejects with a
   * `CallFailedError` of the item's code whose message names the item, which fails the step when
   * it propagates. `'collect'`: never rejects for an item; resolves to `{ index, ok: true, value }`
   * or `{ index, ok: false, error }` per item.
   *
   * **`first: k`.** Resolves once k items succeeded (failed items do not count; with `'collect'`
   * they are returned too): the items still running are aborted (`call.signal`) and record no outcome,
   * items not started yet never start. Which items won is recorded as one more journaled call,
   * `<name>/first` (`{ won, failed }`, indices), so a re-run returns exactly the same items: it
   * runs nothing once the join is recorded, and before that counts the recorded successes first (in
   * index order) and runs only what it still needs. With fewer than k successes possible, it waits
   * for every item. The result holds only the items of the join, in item order.
   */
  map<T, R extends JsonValue | void>(
    name: string,
    items: readonly T[],
    fn: (item: T, index: number, call: CallScope) => Promise<R> | R,
    options?: FanOutOptions & { onItemError?: 'fail' },
  ): Promise<R[]>;
  map<T, R extends JsonValue | void>(
    name: string,
    items: readonly T[],
    fn: (item: T, index: number, call: CallScope) => Promise<R> | R,
    options: FanOutOptions & { onItemError: 'collect' },
  ): Promise<ItemOutcome<R>[]>;
  map<T, R extends JsonValue | void>(
    name: string,
    items: readonly T[],
    fn: (item: T, index: number, call: CallScope) => Promise<R> | R,
    options: FanOutOptions,
  ): Promise<R[] | ItemOutcome<R>[]>;
  /**
   * Fixed parallel branches: each `branches[key](call)` runs as its own journaled call named
   * `<name>/<key>`, started in the object's key order; resolves to the results keyed by branch. The
   * same semantics as {@link StepContext.map} (`concurrency`, `first`, `onItemError`; with `first`
   * only the winning branches' keys are present).
   */
  parallel<B extends Record<string, (call: CallScope) => Promise<JsonValue | void> | JsonValue | void>>(
    name: string,
    branches: B,
    options: FanOutOptions & { first: number; onItemError: 'collect' },
  ): Promise<Partial<{ [K in keyof B]: BranchOutcome<Awaited<ReturnType<B[K]>>> }>>;
  parallel<B extends Record<string, (call: CallScope) => Promise<JsonValue | void> | JsonValue | void>>(
    name: string,
    branches: B,
    options: FanOutOptions & { first: number; onItemError?: 'fail' },
  ): Promise<Partial<{ [K in keyof B]: Awaited<ReturnType<B[K]>> }>>;
  parallel<B extends Record<string, (call: CallScope) => Promise<JsonValue | void> | JsonValue | void>>(
    name: string,
    branches: B,
    options: FanOutOptions & { onItemError: 'collect' },
  ): Promise<{ [K in keyof B]: BranchOutcome<Awaited<ReturnType<B[K]>>> }>;
  parallel<B extends Record<string, (call: CallScope) => Promise<JsonValue | void> | JsonValue | void>>(
    name: string,
    branches: B,
    options?: FanOutOptions & { onItemError?: 'fail' },
  ): Promise<{ [K in keyof B]: Awaited<ReturnType<B[K]>> }>;
  /**
   * Runs another registered definition (by name, its newest version, or the definition itself)
   * with `input` as a **child workflow**, as one journaled call named `name`, and by default waits
   * for it: resolves to the child's output, or rejects with a `ChildFailedError` (`CHILD_FAILED`,
   * check with `isChildFailed`) carrying the child's reason when it fails or is cancelled — which
   * fails this step when it propagates. `{ wait: false }` starts it and resolves to
   * `{ workflowId }` at once.
   *
   * **Idempotent.** The child's id is derived from this workflow's id, the step, the iteration and
   * `name` (`<parent id>.<name>-<hash>`, same tenant), and the engine's start is idempotent by id
   * and input: a re-run after a crash finds the same child — running, or already finished — and
   * never starts a second one. The call records `{ workflowId, output }` (or `{ workflowId }`
   * without waiting), and the child's `WorkflowStarted` records `parent: { workflowId, step, call }`.
   * Cancelling this workflow cancels a child it waits for; a shutdown does not (the re-run waits again).
   */
  child<D extends AnyWorkflowDefinition, O = OutputOf<D>>(
    name: string,
    definition: D,
    input: StartInput<D>,
    options?: ChildOptions & { wait?: true },
  ): Promise<ChildOutput<D, O>>;
  child<O extends JsonValue = JsonValue, D extends string | AnyWorkflowDefinition = string | AnyWorkflowDefinition>(
    name: string,
    definition: D,
    input: StartInput<D>,
    options?: ChildOptions & { wait?: true },
  ): Promise<O>;
  child<D extends string | AnyWorkflowDefinition>(
    name: string,
    definition: D,
    input: StartInput<D>,
    options: ChildOptions & { wait: false },
  ): Promise<{ workflowId: string }>;
}

/**
 * A step's implementation: an async function of its {@link StepContext}. Its resolved value is
 * recorded in `StepCompleted` and must be plain JSON (the type allows only {@link JsonValue}; at run
 * time a non-JSON value fails the step with `INVALID_OUTPUT`, `undefined` is recorded as `null`). A
 * throw (or rejection) becomes `StepFailed` with the error's string `code` (else `ACTIVITY_ERROR`),
 * its message and its `retryable` flag, and the workflow fails. `R` is what it resolves to; `O` the
 * workflow's output schemas, which type `ctx.outputs`. A step with an output schema resolves to the
 * schema's *input* type, and its value is parsed before it is recorded (a mismatch fails the step
 * with `INVALID_OUTPUT`).
 *
 * **When `run` executes more than once.** `StepStarted` is appended before `run` is called and the
 * outcome (`StepCompleted` or `StepFailed`) after it settles; in between, each journaled call
 * (`ctx.complete`, `ctx.run`) appends its own `CallCompleted`.
 * - Once the outcome of an iteration is recorded, that iteration never runs again: recovery, replay
 *   and rehydration read the recorded output.
 * - An attempt that ends without a recorded outcome runs again from its start as a new attempt
 *   (`ctx.attempt` + 1) when the workflow is recovered or driven again: the process crashed, the
 *   outcome could not be appended, or `engine.close()` aborted the signal and `run` rejected (with
 *   `timeoutMs` set the attempt ends at the abort, whatever `run` does later; without it, a `run`
 *   that returns a value anyway has it recorded). Every journaled call whose outcome was recorded
 *   returns it without calling again; the call that was in flight, the calls after it and
 *   everything not journaled (plain code, `putArtifact`) run again.
 * - Within one attempt, `run` is called again when it throws an error flagged `retryable: true`
 *   that is neither an `LlmError` nor a journaled call's error (those were retried where they
 *   happened), up to `EngineOptions.retry.maxAttempts` calls in all (default 3), with exponential
 *   backoff. Journaled calls already recorded are replayed, not made again. Errors without the
 *   flag fail the step at once.
 * - A revision (a validating step's `revise`, a person's REQUEST_REVISION) runs a producing step
 *   again at the next iteration, with `ctx.feedback`: a new logical call with a new, empty journal.
 * - Not run again: a step that timed out (`StepFailed` `STEP_TIMEOUT` is recorded, also when the due
 *   time passed while the process was down, and the workflow fails), and a step whose workflow was
 *   cancelled (its late outcome is dropped).
 * So put every side effect that must not repeat in a journaled call, make the journaled call
 * itself idempotent where the outside world allows (`ctx.idempotencyKey` and the call's name are
 * stable across attempts), keep the step deterministic between its calls, and honour `ctx.signal`.
 */
export type StepRun<I, R = JsonValue, O extends OutputSchemas = NoOutputSchemas> = (ctx: StepContext<I, O>) => Promise<R>;

/** Options of {@link StepContext.map} and {@link StepContext.parallel}. */
export interface FanOutOptions {
  /** Items running at once (default 8); they start in item order, the next as soon as one finishes. */
  concurrency?: number;
  /** Resolve once this many items succeeded; the others are aborted and record no outcome. 1 to the number of items. */
  first?: number;
  /** `'fail'` (default): the first item error fails the fan-out. `'collect'`: each item's outcome is returned. */
  onItemError?: 'fail' | 'collect';
}

/** A recorded item error, as `'collect'` returns it: the error's `code`, message and `retryable` flag. */
export type ItemError = {
  code: string;
  message: string;
  retryable: boolean;
};

/** One item's outcome from `ctx.map(..., { onItemError: 'collect' })`, with its index in the list. */
export type ItemOutcome<R> = { index: number; ok: true; value: R } | { index: number; ok: false; error: ItemError };

/** One branch's outcome from `ctx.parallel(..., { onItemError: 'collect' })`. */
export type BranchOutcome<R> = { ok: true; value: R } | { ok: false; error: ItemError };

/**
 * What a fan-out item's (or branch's) function gets besides its item: its call, with a journal of
 * its own for the item's side effects and model calls, a child workflow, and a signal.
 */
export interface CallScope {
  /** The item's call name: `<fan-out name>/<index>` (or `/<key>` for a branch). */
  readonly name: string;
  /** Aborted when the step's signal is, and when the fan-out no longer wants this item (`first` reached, a sibling failed). */
  readonly signal: AbortSignal;
  /**
   * A journaled call of this item, as {@link StepContext.run} is one of the step: `fn`'s outcome is
   * recorded (`CallCompleted` with `item` set) before `run` settles, and a re-run of the item —
   * after a crash, or a step retry of an item that failed — gets it back without calling `fn`.
   * Names and positions count within the item (two items may both call `fetch`), with the same
   * rules: unique in one run of the item, the same calls in the same order on every run, every
   * recorded call made before the item returns (else `DUPLICATE_CALL` or `NONDETERMINISM`, naming
   * the item and the call, which fails the step). `fn` gets no signal of its own: use `call.signal`.
   */
  run<T extends JsonValue | void>(name: string, fn: () => Promise<T> | T): Promise<T>;
  /**
   * A model call for this item, journaled in the item's journal as {@link StepContext.complete} is
   * in the step's (`request.name`, default `complete#<n>` counted within the item): its outcome and
   * accounting are recorded when it returns, so an item interrupted by a crash makes again only the
   * model call that was interrupted. The provider sees the item as `context.item` and the call's
   * name as `context.call`; the step's usage, its budget and the audit count each call once.
   */
  complete<T>(request: StepLlmRequest<T>): Promise<LlmResult<T>>;
  /**
   * Runs a child workflow for this item and waits for its output (rejects with a `ChildFailedError`
   * when it fails or is cancelled). Not a journaled call of its own: the item's call records what the
   * item returns. The child's id is derived from the item's call (and `key`, for a second child of
   * one item), so a re-run of the item finds the same child. An item aborted by its fan-out cancels
   * its child.
   */
  child<D extends AnyWorkflowDefinition, O = OutputOf<D>>(definition: D, input: StartInput<D>, options?: { key?: string }): Promise<ChildOutput<D, O>>;
  child<O extends JsonValue = JsonValue, D extends string | AnyWorkflowDefinition = string | AnyWorkflowDefinition>(
    definition: D,
    input: StartInput<D>,
    options?: { key?: string },
  ): Promise<O>;
}

/**
 * What `ctx.child` resolves to: a child that declares its output gives that type, whatever type
 * argument is given; an untyped one (`JsonValue`) gives `O`, which a type argument or an annotation
 * may narrow. Not `O` alone: a contextual return type (`run: async (ctx) => ctx.child(...)`) would
 * be inferred into it and make a typed child's output `Output | JsonValue`.
 */
export type ChildOutput<D, O> = JsonValue extends OutputOf<D> ? O : OutputOf<D>;

/** Options of {@link StepContext.child}. */
export interface ChildOptions {
  /** Wait for the child's outcome (default true); `false` resolves to `{ workflowId }` once it started. */
  wait?: boolean;
}
