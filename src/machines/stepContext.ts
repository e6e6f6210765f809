import type { StoredArtifact } from '../artifacts/index.js';
import type { LlmRequest, LlmResult } from '../llm/index.js';
import type { JsonValue } from './context.js';

/**
 * A model call from a step: an `LlmRequest` without `context`, `signal` and `onDelta`, which the
 * runtime fills in (the step's workflow, step, iteration, attempt and idempotency key; the
 * attempt's AbortSignal; the live token stream for subscribers).
 */
export type StepLlmRequest<T> = Omit<LlmRequest<T>, 'context' | 'signal' | 'onDelta'>;

/**
 * What a step's `run` receives. Everything effectful goes through it, so the runtime can record
 * accounting, abort on CANCEL/timeout/shutdown, and keep the machine pure.
 *
 * The unit of durability is the step attempt, not the call: see {@link StepRun} for exactly when
 * `run`, and with it every `complete` and `putArtifact` call inside it, happens more than once.
 */
export interface StepContext<I> {
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
   * included; large outputs already loaded back from the artifact store).
   */
  readonly outputs: Readonly<Record<string, JsonValue>>;
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
   * Calls the model through the engine's `LlmProvider`, with this step's call context, the signal
   * and (while someone subscribes) live token deltas. Usage, cost, latency, provider attempts and
   * prompt hash of every call of the step, failed calls included, are summed into the outcome's `llm`.
   *
   * **Not journaled per call (yet).** A call's result is recorded only as part of the step's
   * outcome. When an attempt is interrupted (crash, shutdown) the step runs again from its start and
   * every call it made is made, and paid for, again; the interrupted attempt's calls are not in the
   * record. A retry of a `retryable` plain error inside the attempt also repeats the calls made
   * before it. Per-call journaling is planned.
   *
   * Rejects with an `LlmError` (check with `isLlmError`). Transient errors were already retried by
   * the provider's own policy; the engine never retries an `LlmError` again, so letting it propagate
   * fails the step (`StepFailed` with its code), whatever its `retryable` flag says.
   */
  complete<T>(request: StepLlmRequest<T>): Promise<LlmResult<T>>;
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
}

/**
 * A step's implementation: an async function of its {@link StepContext}. Its resolved value is
 * recorded in `StepCompleted` and must be plain JSON (the type allows only {@link JsonValue}; at run
 * time a non-JSON value fails the step with `INVALID_OUTPUT`, `undefined` is recorded as `null`). A
 * throw (or rejection) becomes `StepFailed` with the error's string `code` (else `ACTIVITY_ERROR`),
 * its message and its `retryable` flag, and the workflow fails.
 *
 * **When `run` executes more than once.** `StepStarted` is appended before `run` is called and the
 * outcome (`StepCompleted` or `StepFailed`) after it settles; the journal is per step, not per call.
 * - Once the outcome of an iteration is recorded, that iteration never runs again: recovery, replay
 *   and rehydration read the recorded output.
 * - An attempt that ends without a recorded outcome runs again from its start as a new attempt
 *   (`ctx.attempt` + 1) when the workflow is recovered or driven again: the process crashed, the
 *   outcome could not be appended, or `engine.close()` aborted the signal and `run` rejected (with
 *   `timeoutMs` set the attempt ends at the abort, whatever `run` does later; without it, a `run`
 *   that returns a value anyway has it recorded). Everything the interrupted attempt did (model
 *   calls, writes, requests) is done again.
 * - Within one attempt, `run` is called again when it throws an error flagged `retryable: true`
 *   that is not an `LlmError`, up to `EngineOptions.retry.maxAttempts` calls in all (default 3), with
 *   exponential backoff. Errors without the flag fail the step at once.
 * - A revision (a validating step's `revise`, a person's REQUEST_REVISION) runs a producing step
 *   again at the next iteration, with `ctx.feedback`: a new logical call, not a re-run.
 * - Not run again: a step that timed out (`StepFailed` `STEP_TIMEOUT` is recorded, also when the due
 *   time passed while the process was down, and the workflow fails), and a step whose workflow was
 *   cancelled (its late outcome is dropped).
 * So make external side effects idempotent (`ctx.idempotencyKey` is stable across attempts and
 * retries) and honour `ctx.signal`.
 */
export type StepRun<I, O = JsonValue> = (ctx: StepContext<I>) => Promise<O>;
