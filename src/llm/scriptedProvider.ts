import { appendFileSync } from 'node:fs';
import { LlmError } from './errors.js';
import { emitDeltas, cancelledError, throwIfAborted } from './emitDeltas.js';
import { createOfflineProvider } from './offlineProvider.js';
import { estimateTokens, hashPrompt, promptParts } from './promptParts.js';
import { loadScript, parseScript, type LlmScript, type Script, type ScriptEntry } from './scriptFormat.js';
import type { LlmProvider, LlmRequest, LlmResult } from './types.js';

/** The model id the scripted provider reports unless the script names another. */
export const SCRIPTED_MODEL = 'ecl-scripted';
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of {@link createScriptedProvider}: `file` or `script`. */
export interface ScriptedProviderOptions {
  /** A JSON script file (see docs/llm.md), read and validated now. */
  file?: string | undefined;
  /** Or the script itself (tests), validated now as a file's is. */
  script?: LlmScript | undefined;
  /** Appends one JSON line per call, before answering: proves which calls the "model" saw. Defaults to `ECL_SCRIPT_CALL_LOG`. */
  callLog?: string | undefined;
  /** Read for `ECL_SCRIPT_CALL_LOG`; defaults to `process.env`. */
  env?: Record<string, string | undefined> | undefined;
  /** Clock for `latencyMs` only. */
  now?: (() => number) | undefined;
}

/** A line of the call log: which call the scripted "model" saw, and which entry answered it. */
export interface ScriptedCall {
  workflowId: string;
  step: string;
  iteration: number;
  attempt: number;
  idempotencyKey: string;
  /** The call it answered (`context.call`), when the engine made it. */
  call?: string;
  /** The fan-out item that made it (`context.item`). */
  item?: string;
  /** `steps.<step>[i]`, `default` or `fallback`. */
  entry: string;
  promptHash: string;
}

/**
 * Answers from a script (format in docs/llm.md): per step, optionally per iteration and attempt;
 * scripted errors and hangs included. Entries are tried in order; with `fallback: "offline"`
 * unmatched calls go to the offline model. Throws `LlmError` `CONFIG` now if the script cannot be
 * read or is invalid; a call rejects with `SCRIPT_EXHAUSTED` when no entry answers it, with the
 * scripted error (final: nothing retries it), or `CANCELLED` when its signal aborts.
 */
export function createScriptedProvider(options: ScriptedProviderOptions): LlmProvider {
  const source = options.file ?? 'script';
  /** Where an entry comes from, in messages: the file, or the script given in code. */
  const where = options.file === undefined ? 'The LLM script' : `LLM script ${options.file}`;
  const script: Script = options.file !== undefined ? loadScript(options.file) : parseScript(options.script, source);
  const env = options.env ?? process.env;
  const callLog = options.callLog ?? (env.ECL_SCRIPT_CALL_LOG || undefined);
  const now = options.now ?? (() => performance.now());
  const used = new Map<ScriptEntry, number>();
  const offline = script.fallback === 'offline' ? createOfflineProvider({ now }) : undefined;

  const pick = (request: LlmRequest<unknown>): { entry: ScriptEntry; label: string } | undefined => {
    const { step, iteration, attempt, call, item } = request.context;
    // An item's call by the item (any of its calls) or by its path; a step's own by its name.
    const answers = (name: string): boolean => (item === undefined ? name === call : name === item || name === `${item}/${call}`);
    const entries = script.steps[step] ?? [];
    const index = entries.findIndex(
      (entry) =>
        (entry.iteration === undefined || entry.iteration === iteration) &&
        (entry.attempt === undefined || entry.attempt === attempt) &&
        (entry.call === undefined || answers(entry.call)) &&
        (entry.times === undefined || (used.get(entry) ?? 0) < entry.times),
    );
    if (index !== -1) return { entry: entries[index]!, label: `steps.${step}[${index}]` };
    return script.default === undefined ? undefined : { entry: script.default, label: 'default' };
  };

  return {
    name: options.file !== undefined ? `script:${options.file}` : 'script',
    async complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>> {
      const started = now();
      throwIfAborted(request.signal);
      const { context } = request;
      const model = script.model ?? SCRIPTED_MODEL;
      const parts = promptParts(request as LlmRequest<unknown>, model);
      const promptHash = hashPrompt(parts);
      const picked = pick(request as LlmRequest<unknown>);
      if (callLog !== undefined) {
        const line: ScriptedCall = {
          workflowId: context.workflowId,
          step: context.step,
          iteration: context.iteration,
          attempt: context.attempt,
          idempotencyKey: context.idempotencyKey,
          ...(context.call === undefined ? {} : { call: context.call }),
          ...(context.item === undefined ? {} : { item: context.item }),
          entry: picked?.label ?? (offline ? 'fallback' : 'none'),
          promptHash,
        };
        // Synchronous on purpose: the line must be on disk before a crash test kills the process mid-call.
        appendFileSync(callLog, `${JSON.stringify(line)}\n`);
      }
      if (picked === undefined) {
        if (offline !== undefined) return offline.complete(request);
        throw new LlmError(
          'SCRIPT_EXHAUSTED',
          `${where} has no answer for step "${context.step}" (iteration ${context.iteration}, attempt ${context.attempt}): ${whyNoAnswer(script, context.step)}.`,
        );
      }
      const { entry, label } = picked;
      used.set(entry, (used.get(entry) ?? 0) + 1);
      if (entry.holdMs !== undefined) await hold(entry.holdMs, request.signal);
      if (entry.error !== undefined) {
        const { code, message, retryAfterMs, status } = entry.error;
        throw new LlmError(code, message ?? `Scripted ${code} (${where}, ${label}).`, { retryAfterMs, status });
      }
      let output: T | undefined;
      if (request.tool !== undefined) {
        if (entry.output === undefined)
          throw new LlmError(
            'INVALID_OUTPUT',
            `${where}, ${label}: this call uses the tool "${request.tool.name}", so the entry needs an "output" (the tool's input), not only "text"; a model that answers without the tool is scripted as "error": { "code": "INVALID_OUTPUT" }`,
          );
        const parsed = request.tool.schema.safeParse(entry.output);
        if (!parsed.success) {
          const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
          throw new LlmError('INVALID_OUTPUT', `${where}, ${label}: "output" is not a valid "${request.tool.name}" input: ${problems}`);
        }
        output = parsed.data;
      }
      const text = entry.text ?? (request.tool === undefined && entry.output !== undefined ? JSON.stringify(entry.output) : '');
      const streamed = output === undefined ? text : JSON.stringify(output);
      await emitDeltas(streamed, request.onDelta, request.signal);
      const result: LlmResult<T> = {
        text,
        model: entry.model ?? model,
        requestId: entry.requestId ?? `script-${promptHash.slice(0, 16)}`,
        usage: entry.usage ?? { inputTokens: estimateTokens(JSON.stringify(parts)), outputTokens: estimateTokens(streamed) },
        costUsd: entry.costUsd ?? 0,
        latencyMs: Math.max(0, now() - started),
        attempts: 1,
        promptHash,
        stopReason: entry.stopReason ?? (output === undefined ? 'end_turn' : 'tool_use'),
      };
      if (output !== undefined) result.output = output;
      return result;
    },
  };
}

function hold(holdMs: number | 'untilAborted', signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelledError(signal?.reason));
    };
    // "untilAborted" still arms a (very long) timer so the hanging process stays alive until it is killed.
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      holdMs === 'untilAborted' ? MAX_TIMER_MS : holdMs,
    );
    if (signal?.aborted === true) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Why no entry answered: the script names no such step (a typo, most likely: its steps are listed), or its entries are for other calls. */
function whyNoAnswer(script: Script, step: string): string {
  const entries = script.steps[step];
  if (entries !== undefined && entries.length > 0)
    return `none of its ${entries.length} entries for it matches this iteration, attempt and call, or those that did were used up (times)`;
  const steps = Object.keys(script.steps);
  return steps.length === 0 ? 'it has no step entries, and no default' : `it has no entries for it, and no default (its steps: ${steps.join(', ')})`;
}
