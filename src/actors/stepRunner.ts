import { ExponentialBackoff, type IPolicy, TimeoutStrategy, handleWhen, retry, timeout, wrap } from 'cockatiel';
import type { z } from 'zod';
import type { ArtifactStore } from '../artifacts/index.js';
import { isLlmError, isTaskCancelled, readSpilledOutput, spillLargeOutput, type LlmAccounting as CallAccounting, type LlmProvider } from '../llm/index.js';
import {
  type ActivityStepSpec,
  type JsonValue,
  Judgement,
  type StepContext,
  type WorkflowContext,
  type WorkflowEvent,
  type events,
  timeoutError,
} from '../machines/index.js';
import type { LazyAbort } from './lazyAbort.js';
import type { RetryOptions } from './types.js';

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
}

export interface StepRunnerOptions {
  llm: LlmProvider;
  artifacts: ArtifactStore;
  now: () => Date;
  retry?: RetryOptions;
  maxInlineOutputBytes?: number;
  onDelta?: (work: StepWork, text: string) => void;
  /** Whether anyone listens to deltas now (they are not even produced otherwise). */
  wantsDeltas?: () => boolean;
}

/** `undefined`: aborted by CANCEL or shutdown; no outcome is recorded (a shutdown is resumed on recovery). */
export type StepRunner = (work: StepWork, abort: LazyAbort) => Promise<WorkflowEvent | undefined>;

const SPILLED = '$artifact';
const PREVIEW_CHARS = 240;

const isRetryable = (error: unknown): boolean =>
  !isTaskCancelled(error) && typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;

/**
 * A model error has already been retried by the provider's own policy, which knows `retry-after`
 * and shares a circuit breaker: retrying it here again would multiply the calls.
 */
const isRetryableHere = (error: unknown): boolean => !isLlmError(error) && isRetryable(error);

/**
 * Runs a step's activity: retries retryable errors of non-model activities with cockatiel's
 * exponential backoff, bounds the attempt by its recorded due time, passes the AbortSignal through
 * to the model call, records model accounting (failed calls included), and moves outputs too
 * large for an event to the artifact store.
 */
export function createStepRunner(options: StepRunnerOptions): StepRunner {
  const maxInline = options.maxInlineOutputBytes ?? 64 * 1024;
  const calls = Math.max(1, options.retry?.maxAttempts ?? 3);
  const retries = retry(handleWhen(isRetryableHere), {
    maxAttempts: calls - 1,
    backoff: new ExponentialBackoff({ initialDelay: options.retry?.initialDelayMs ?? 200, maxDelay: options.retry?.maxDelayMs ?? 5_000 }),
  });

  return async (work, abort) => {
    const started = options.now().getTime();
    const spent: CallAccounting[] = [];
    let artifact: ArtifactRef | undefined;
    let timedOut = false;
    let policy: IPolicy = retries;
    if (work.timeoutAt !== undefined) {
      const limit = timeout(Math.max(0, Date.parse(work.timeoutAt) - started), TimeoutStrategy.Aggressive);
      limit.onTimeout(() => {
        timedOut = true;
      });
      policy = wrap(limit, retries);
    }
    const base = { step: work.step, iteration: work.iteration, attempt: work.attempt };

    try {
      const outputs = hasSpilled(work.context.outputs) ? await loadOutputs(options.artifacts, work) : work.context.outputs;
      // With a due time, cockatiel's timeout derives the call's signal from ours; without one the
      // step gets our (lazily created) signal directly.
      const parent = work.timeoutAt === undefined ? undefined : abort.signal;
      const output = await policy.execute(({ signal: policySignal }) => {
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
            return parent === undefined ? abort.signal : policySignal;
          },
          async complete(request) {
            const onDelta = options.onDelta === undefined || options.wantsDeltas?.() === false ? undefined : (text: string) => options.onDelta?.(work, text);
            try {
              const result = await options.llm.complete({
                ...request,
                context: { workflowId: work.workflowId, definition: work.definition, step: work.step, iteration: work.iteration, attempt: work.attempt, idempotencyKey: work.idempotencyKey },
                signal: parent === undefined ? abort.signal : policySignal,
                ...(onDelta === undefined ? {} : { onDelta }),
              });
              spent.push(result);
              return result;
            } catch (error) {
              // What a failed call already cost (its attempts, tokens of rejected outputs) belongs in the outcome too.
              if (isLlmError(error) && error.accounting !== undefined && error.accounting.attempts > 0) spent.push(error.accounting);
              throw error;
            }
          },
          async putArtifact(name, content) {
            const stored = await options.artifacts.put(work.workflowId, name, content);
            artifact = { hash: stored.hash, bytes: stored.bytes, preview: content.slice(0, PREVIEW_CHARS), path: stored.location };
            return stored;
          },
        };
        return (work.spec.run as (ctx: StepContext<unknown>) => Promise<unknown>)(ctx);
      }, parent);
      const llm = accounting(spent);
      const checked = checkOutput(work, output);
      if (!checked.ok) return { type: 'StepFailed', data: { v: 1, ...base, error: checked.error, ...(llm === undefined ? {} : { llm }) } };
      let recorded = checked.output;
      if (checked.bytes > maxInline) {
        const name = `outputs/${work.step}-${work.iteration}.${typeof checked.output === 'string' ? 'txt' : 'json'}`;
        const spill = await spillLargeOutput(checked.output, options.artifacts, work.workflowId, name, maxInline);
        if (spill.spilled) {
          artifact = spill.artifact;
          recorded = { [SPILLED]: { name, hash: spill.artifact.hash, format: spill.format } };
        }
      }
      const durationMs = Math.max(0, options.now().getTime() - started);
      return { type: 'StepCompleted', data: { v: 1, ...base, output: recorded, ...(artifact === undefined ? {} : { artifact }), ...(llm === undefined ? {} : { llm }), durationMs } };
    } catch (error) {
      if (abort.aborted) return undefined;
      const llm = accounting(spent);
      const info = timedOut && work.timeoutAt !== undefined ? timeoutError(work.step, work.timeoutAt) : errorInfo(error);
      return { type: 'StepFailed', data: { v: 1, ...base, error: info, ...(llm === undefined ? {} : { llm }) } };
    }
  };
}

function errorInfo(error: unknown): { code: string; message: string; retryable: boolean } {
  if (isLlmError(error)) return { code: error.code, message: error.message, retryable: error.retryable };
  const code = typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'ACTIVITY_ERROR';
  return { code, message: error instanceof Error ? error.message : String(error), retryable: isRetryable(error) };
}

type Checked = { ok: true; output: JsonValue; json: string; bytes: number } | { ok: false; error: { code: string; message: string; retryable: boolean } };

/** Validating steps must return a verdict; every output must be plain JSON. */
function checkOutput(work: StepWork, output: unknown): Checked {
  if (work.spec.kind === 'validate') {
    const parsed = Judgement.safeParse(output);
    if (!parsed.success) return { ok: false, error: { code: 'INVALID_OUTPUT', message: `Step "${work.step}" must return { verdict: 'approve' | 'revise', feedback }: ${parsed.error.issues[0]?.message ?? 'invalid'}`, retryable: false } };
    output = parsed.data;
  }
  if (output === undefined || output === null) return { ok: true, output: null, json: 'null', bytes: 4 };
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
  if (json === undefined) return { ok: false, error: { code: 'INVALID_OUTPUT', message: `Step "${work.step}" returned a value that is not JSON`, retryable: false } };
  const plain = typeof output === 'object' ? (JSON.parse(json) as JsonValue) : (output as JsonValue);
  return { ok: true, output: plain, json, bytes: json.length < maxAscii ? json.length : Buffer.byteLength(json) };
}
const maxAscii = 16 * 1024;

/** Everything the step's model calls cost, failed ones included; the model and prompt hash of the last call. */
function accounting(results: readonly CallAccounting[]): LlmAccounting | undefined {
  const last = results[results.length - 1];
  if (last === undefined) return undefined;
  const sum = (pick: (result: CallAccounting) => number | undefined) => results.reduce((total, result) => total + (pick(result) ?? 0), 0);
  const llm: LlmAccounting = {
    model: last.model,
    inputTokens: sum((result) => result.usage.inputTokens),
    outputTokens: sum((result) => result.usage.outputTokens),
    costUsd: sum((result) => result.costUsd),
    latencyMs: sum((result) => result.latencyMs),
    attempts: sum((result) => result.attempts),
    promptHash: last.promptHash,
  };
  if (last.requestId !== undefined) llm.requestId = last.requestId;
  const cacheRead = sum((result) => result.usage.cacheReadTokens);
  const cacheWrite = sum((result) => result.usage.cacheWriteTokens);
  if (cacheRead > 0) llm.cacheReadTokens = cacheRead;
  if (cacheWrite > 0) llm.cacheWriteTokens = cacheWrite;
  return llm;
}

type SpilledRef = { name?: string; hash?: string; format?: 'text' | 'json' };
const spilledRef = (output: JsonValue | undefined): SpilledRef | undefined =>
  typeof output === 'object' && output !== null && !Array.isArray(output) ? (output[SPILLED] as SpilledRef | undefined) : undefined;

function hasSpilled(outputs: Record<string, JsonValue>): boolean {
  for (const step in outputs) if (spilledRef(outputs[step]) !== undefined) return true;
  return false;
}

/** Earlier outputs, with the ones moved to the artifact store read back. */
async function loadOutputs(artifacts: ArtifactStore, work: StepWork): Promise<Record<string, JsonValue>> {
  const outputs = work.context.outputs;
  let loaded: Record<string, JsonValue> | undefined;
  for (const [step, output] of Object.entries(outputs)) {
    const ref = spilledRef(output);
    if (ref?.name === undefined || ref.hash === undefined) continue;
    loaded ??= { ...outputs };
    loaded[step] = (await readSpilledOutput(artifacts, work.workflowId, ref.name, { hash: ref.hash }, ref.format ?? 'json')) as JsonValue;
  }
  return loaded ?? outputs;
}
