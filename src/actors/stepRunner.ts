import { ExponentialBackoff, type IPolicy, handleWhen, retry } from 'cockatiel';
import type { z } from 'zod';
import type { ArtifactStore } from '../artifacts/index.js';
import type { LlmProvider } from '../llm/index.js';
import {
  READABLE_ISSUES,
  type ActivityStepSpec,
  type AnyWorkflowDefinition,
  type CallScope,
  type ChildOptions,
  type FanOutOptions,
  type JsonValue,
  Judgement,
  type StepContext,
  type WorkflowContext,
  type WorkflowEvent,
  type events,
  timeoutError,
  timeoutRetryAt,
} from '../machines/index.js';
import { CallJournal } from './callJournal.js';
import type { CallRecorder, SignalSource } from './journalEnv.js';
import { resolveRetry, retryAtAfter, shouldRetry } from './retryPolicy.js';
import { errorInfo } from './callOutcome.js';
import type { LazyAbort } from './lazyAbort.js';
import type { Clock } from './clock.js';
import { StepDeadline } from './stepDeadline.js';
import { readRecordedOutput, spillIfLarge, spilledRef } from './spilledOutput.js';
import type { ChildWorkflowPort, RetryOptions } from './types.js';
import { type ChildEnv, runChild } from './childWorkflows.js';
import { mapItems, parallelBranches } from './fanOut.js';

type LlmAccounting = z.infer<typeof events.LlmAccounting>;
type ArtifactRef = z.infer<typeof events.ArtifactRef>;

/** The work the runtime does for one StepStarted. */
export interface StepWork {
  workflowId: string;
  definition: string;
  step: string;
  iteration: number;
  attempt: number;
  idempotencyKey: string;
  timeoutAt?: string;
  context: WorkflowContext;
  spec: ActivityStepSpec<unknown>;
  /** Records a journaled call's `CallCompleted` through the actor's queue. */
  recorder: CallRecorder;
  /** The id of this attempt's `StepStarted` (the calls' causation). */
  startedId: string;
}

export interface StepRunnerOptions {
  llm: LlmProvider;
  artifacts: ArtifactStore;
  /** The engine's clock: `now` for the recorded times, its timers for step timeouts. */
  clock: Pick<Clock, 'now' | 'setTimer' | 'setDeadline' | 'clearTimer'>;
  retry?: RetryOptions;
  maxInlineOutputBytes?: number;
  onDelta?: (work: StepWork, text: string) => void;
  /** Whether anyone listens to deltas now (they are not even produced otherwise). */
  wantsDeltas?: () => boolean;
  /** Starts, awaits and cancels child workflows (`ctx.child`, a fan-out item's `call.child`): the engine. */
  children?: ChildWorkflowPort;
}

/** `undefined`: aborted by CANCEL or shutdown; no outcome is recorded (a shutdown is resumed on recovery). */
export type StepRunner = (work: StepWork, abort: LazyAbort) => Promise<WorkflowEvent | undefined>;

const PREVIEW_CHARS = 240;
const DEFAULT_MAX_INLINE = 64 * 1024;

/**
 * Runs a step's activity: bounds the attempt by its recorded due time, passes the AbortSignal
 * through to the model call, records model accounting (failed calls included), and moves outputs
 * too large for an event to the artifact store. A failed attempt that its retry policy runs again
 * is recorded with its `retryAt` (the engine's timer starts the next attempt then); `ctx.run`
 * retries its own function's retryable errors within the call (cockatiel's exponential backoff).
 */
export function createStepRunner(options: StepRunnerOptions): StepRunner {
  const maxInline = options.maxInlineOutputBytes ?? DEFAULT_MAX_INLINE;
  const engineRetry = resolveRetry(options.retry);
  const retries = retry(handleWhen(shouldRetry), {
    maxAttempts: engineRetry.maxAttempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: engineRetry.initialDelayMs, maxDelay: engineRetry.maxDelayMs }),
  });

  return async (work, abort) => {
    const started = options.clock.now().getTime();
    let journal: CallJournal | undefined;
    let artifact: ArtifactRef | undefined;
    const timeoutAt = work.timeoutAt;
    let deadline: StepDeadline | undefined;
    // Without a due time the step gets the attempt's own (lazily created) signal.
    let source: SignalSource = abort;
    const base = { step: work.step, iteration: work.iteration, attempt: work.attempt };

    try {
      const outputs = hasSpilled(work.context.outputs) ? await loadOutputs(options.artifacts, work) : work.context.outputs;
      if (timeoutAt !== undefined) {
        source = deadline = new StepDeadline(options.clock, Date.parse(timeoutAt), abort, () => `Step "${work.step}" did not finish by ${timeoutAt}`);
      }
      const output = await ((): Promise<unknown> => {
        const ctx: StepContext<unknown> = {
          workflowId: work.workflowId,
          definition: work.definition,
          step: work.step,
          iteration: work.iteration,
          attempt: work.attempt,
          idempotencyKey: work.idempotencyKey,
          input: work.context.input,
          outputs,
          feedback: work.context.feedback[work.step],
          get signal() {
            return source.signal;
          },
          // The journal is made by the first call (most steps make none). These methods must not refer to
          // the context object itself: that kept every step's context alive longer (peak heap 57 → 79 MiB, the no-op benchmark workflow with 64 in flight).
          complete(request) {
            return (journal ??= createJournal(options, work, retries, source)).complete(request);
          },
          run(name, fn) {
            return (journal ??= createJournal(options, work, retries, source)).run(name, fn);
          },
          map: ((name: string, items: readonly unknown[], fn: (item: unknown, index: number, call: CallScope) => unknown, fanOptions?: FanOutOptions) =>
            mapItems(
              (journal ??= createJournal(options, work, retries, source)),
              childEnv(options, work, abort, deadline),
              name,
              items,
              fn,
              fanOptions,
            )) as StepContext<unknown>['map'],
          parallel: ((name: string, branches: Record<string, (call: CallScope) => unknown>, fanOptions?: FanOutOptions) =>
            parallelBranches(
              (journal ??= createJournal(options, work, retries, source)),
              childEnv(options, work, abort, deadline),
              name,
              branches,
              fanOptions,
            )) as StepContext<unknown>['parallel'],
          child: ((name: string, definition: string | AnyWorkflowDefinition, input: unknown, childOptions?: ChildOptions) =>
            runChild(
              (journal ??= createJournal(options, work, retries, source)),
              childEnv(options, work, abort, deadline),
              () => source.signal,
              name,
              definition,
              input,
              childOptions?.wait !== false,
            )) as StepContext<unknown>['child'],
          async putArtifact(name, content) {
            const stored = await options.artifacts.put(work.workflowId, name, content);
            artifact = { hash: stored.hash, bytes: stored.bytes, preview: content.slice(0, PREVIEW_CHARS), path: stored.location };
            return stored;
          },
        };
        const running = (work.spec.run as (ctx: StepContext<unknown>) => Promise<unknown>)(ctx);
        return deadline === undefined ? running : Promise.race([running, deadline.expired]);
      })();
      // The deadline bounds the step's own work, not the checks and writes after it.
      deadline?.cancel();
      const sealing = journal?.seal();
      if (sealing !== undefined) await sealing;
      // A call whose outcome was not recorded (interrupted, refused) ends the attempt without an outcome: it runs again.
      if (journal?.lost === true) return undefined;
      const llm = accounting(journal);
      // A broken journal rule fails the step even when the step caught the error and returned.
      const unmet = journal?.unmet();
      if (unmet !== undefined) return { type: 'StepFailed', data: { v: 1, ...base, error: errorInfo(unmet), ...(llm === undefined ? {} : { llm }) } };
      const checked = checkOutput(work, output);
      if (!checked.ok) return { type: 'StepFailed', data: { v: 1, ...base, error: checked.error, ...(llm === undefined ? {} : { llm }) } };
      let recorded = checked.output;
      if (checked.json.length * 3 > maxInline) {
        const name = `outputs/${work.step}-${work.iteration}.${typeof checked.output === 'string' ? 'txt' : 'json'}`;
        const spill = await spillIfLarge(checked.output, checked.json, options.artifacts, work.workflowId, name, maxInline);
        if (spill.artifact !== undefined) artifact = spill.artifact;
        recorded = spill.recorded;
      }
      const durationMs = Math.max(0, options.clock.now().getTime() - started);
      return {
        type: 'StepCompleted',
        data: { v: 1, ...base, output: recorded, ...(artifact === undefined ? {} : { artifact }), ...(llm === undefined ? {} : { llm }), durationMs },
      };
    } catch (error) {
      if (abort.aborted) return undefined;
      const sealing = journal?.seal();
      if (sealing !== undefined) await sealing;
      const llm = accounting(journal);
      if (deadline?.timedOut === true && timeoutAt !== undefined) {
        const error = timeoutError(work.step, timeoutAt);
        const retryAt = timeoutRetryAt(work.spec, options.retry, work.attempt, options.clock.now().getTime());
        const retry = retryAt === undefined ? { error } : { error: { ...error, retryable: true }, retryAt };
        return { type: 'StepFailed', data: { v: 1, ...base, ...retry, ...(llm === undefined ? {} : { llm }) } };
      }
      if (journal?.lost === true) return undefined;
      const failure = journal?.violation ?? error;
      const retryable = shouldRetry(failure) || journal?.retriesCall(failure) === true;
      const recorded = errorInfo(failure);
      const info = retryable ? { ...recorded, retryable } : recorded;
      const retryAt = retryable ? retryAtAfter(resolveRetry(work.spec.retry, options.retry), work.attempt, options.clock.now().getTime()) : undefined;
      return { type: 'StepFailed', data: { v: 1, ...base, error: info, ...(llm === undefined ? {} : { llm }), ...(retryAt === undefined ? {} : { retryAt }) } };
    } finally {
      deadline?.cancel();
    }
  };
}

/** What a step's child workflows need: the engine's port, and whether an abort is a shutdown (which leaves a child running). */
const childEnv = (options: StepRunnerOptions, work: StepWork, abort: LazyAbort, deadline: StepDeadline | undefined): ChildEnv => ({
  port: options.children,
  workflowId: work.workflowId,
  step: work.step,
  iteration: work.iteration,
  shuttingDown: () => abort.aborted && abort.signal.reason === 'shutdown',
  ...(deadline === undefined ? {} : { waitOnChild: () => deadline.waitOnChild() }),
});

function createJournal(options: StepRunnerOptions, work: StepWork, retries: IPolicy, source: SignalSource): CallJournal {
  const onDelta = options.onDelta === undefined || options.wantsDeltas?.() === false ? undefined : (text: string) => options.onDelta?.(work, text);
  return new CallJournal(
    {
      workflowId: work.workflowId,
      definition: work.definition,
      step: work.step,
      iteration: work.iteration,
      attempt: work.attempt,
      idempotencyKey: work.idempotencyKey,
      recorded: work.context.calls,
      recorder: work.recorder,
      startedId: work.startedId,
      llm: options.llm,
      artifacts: options.artifacts,
      maxInlineOutputBytes: options.maxInlineOutputBytes ?? DEFAULT_MAX_INLINE,
      now: () => options.clock.now(),
      retries,
      onDelta,
    },
    source,
  );
}

type Checked = { ok: true; output: JsonValue; json: string } | { ok: false; error: { code: string; message: string; retryable: boolean } };

/** Validating steps must return a verdict, producing steps with a schema must match it (recorded as parsed); every output must be plain JSON. */
function checkOutput(work: StepWork, output: unknown): Checked {
  if (work.spec.kind === 'validate') {
    const parsed = Judgement.safeParse(output);
    if (!parsed.success)
      return {
        ok: false,
        error: {
          code: 'INVALID_OUTPUT',
          message: `Step "${work.step}" must return { verdict: 'approve' | 'revise', feedback }: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
          retryable: false,
        },
      };
    output = parsed.data;
  }
  if (work.spec.kind === 'produce' && work.spec.output !== undefined) {
    const parsed = parseOutput(work.spec.output, output);
    if (!parsed.ok)
      return {
        ok: false,
        error: { code: 'INVALID_OUTPUT', message: `Step "${work.step}" returned an output its schema refuses: ${parsed.issues}`, retryable: false },
      };
    output = parsed.output;
  }
  if (output === undefined || output === null) return { ok: true, output: null, json: 'null' };
  // JSON.stringify turns a top-level NaN or Infinity into "null" and the store refuses the number itself: say so instead.
  if (typeof output === 'number' && !Number.isFinite(output)) {
    return { ok: false, error: { code: 'INVALID_OUTPUT', message: `Step "${work.step}" returned ${output}, which JSON cannot hold`, retryable: false } };
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(output);
  } catch {
    json = undefined;
  }
  if (json === undefined)
    return { ok: false, error: { code: 'INVALID_OUTPUT', message: `Step "${work.step}" returned a value that is not JSON`, retryable: false } };
  const plain = typeof output === 'object' ? (JSON.parse(json) as JsonValue) : (output as JsonValue);
  return { ok: true, output: plain, json };
}

/**
 * Parses a step's output with its schema (`WorkflowSpec.outputs`): the parsed value, transforms
 * applied, is what gets recorded. Issues read `<path>: <message>`, e.g. `body.tags[0]: Invalid
 * input: expected string, received number`. A schema that cannot parse synchronously (an async
 * refinement) throws: that is a refusal too, with zod's message.
 */
function parseOutput(schema: z.ZodType, output: unknown): { ok: true; output: unknown } | { ok: false; issues: string } {
  let parsed: ReturnType<z.ZodType['safeParse']>;
  try {
    parsed = schema.safeParse(output, READABLE_ISSUES);
  } catch (error) {
    return { ok: false, issues: error instanceof Error ? error.message : String(error) };
  }
  if (parsed.success) return { ok: true, output: parsed.data };
  const at = (path: readonly PropertyKey[]) =>
    path.length === 0 ? '(output)' : path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
  return { ok: false, issues: parsed.error.issues.map((issue) => `${at(issue.path)}: ${issue.message}`).join('; ') };
}

/**
 * Every model call of the iteration, each once: the journal's recorded calls, its fan-out items'
 * included (those an earlier attempt recorded and this one replayed too), failed ones with their
 * reported cost too; the model and prompt hash of the last one recorded.
 */
function accounting(journal: CallJournal | undefined): LlmAccounting | undefined {
  const results = journal?.spent() ?? [];
  const last = results[results.length - 1];
  if (last === undefined) return undefined;
  const sum = (pick: (result: LlmAccounting) => number | undefined) => results.reduce((total, result) => total + (pick(result) ?? 0), 0);
  const llm: LlmAccounting = {
    model: last.model,
    inputTokens: sum((result) => result.inputTokens),
    outputTokens: sum((result) => result.outputTokens),
    costUsd: sum((result) => result.costUsd),
    latencyMs: sum((result) => result.latencyMs),
    attempts: sum((result) => result.attempts),
    promptHash: last.promptHash,
  };
  if (last.requestId !== undefined) llm.requestId = last.requestId;
  const cacheRead = sum((result) => result.cacheReadTokens);
  const cacheWrite = sum((result) => result.cacheWriteTokens);
  if (cacheRead > 0) llm.cacheReadTokens = cacheRead;
  if (cacheWrite > 0) llm.cacheWriteTokens = cacheWrite;
  return llm;
}

function hasSpilled(outputs: Record<string, JsonValue>): boolean {
  for (const step in outputs) if (spilledRef(outputs[step]) !== undefined) return true;
  return false;
}

/** Earlier outputs, with the ones moved to the artifact store read back. */
async function loadOutputs(artifacts: ArtifactStore, work: StepWork): Promise<Record<string, JsonValue>> {
  const outputs = work.context.outputs;
  let loaded: Record<string, JsonValue> | undefined;
  for (const [step, output] of Object.entries(outputs)) {
    if (spilledRef(output) === undefined) continue;
    loaded ??= { ...outputs };
    loaded[step] = await readRecordedOutput(artifacts, work.workflowId, output);
  }
  return loaded ?? outputs;
}
