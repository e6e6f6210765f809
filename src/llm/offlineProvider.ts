import { LlmError } from './errors.js';
import { emitDeltas, throwIfAborted } from './emitDeltas.js';
import { offlineText } from './offlineText.js';
import { estimateTokens, hashPrompt, promptParts, toolJsonSchema } from './promptParts.js';
import { sampleFromJsonSchema } from './sampleFromJsonSchema.js';
import type { LlmProvider, LlmRequest, LlmResult, LlmTool } from './types.js';

/** The model id the offline provider reports in its results. */
export const OFFLINE_MODEL = 'ecl-offline-1';

export const OFFLINE_REVISION_FEEDBACK = 'State the main conclusion in the first sentence, and support each point with one concrete fact from the input.';

/** Options of {@link createOfflineProvider}. */
export interface OfflineProviderOptions {
  /** Clock for `latencyMs` only; pass `() => 0` for byte-identical results. */
  now?: () => number;
}

/**
 * The deterministic offline model: the same request always yields the same result, at zero cost,
 * with no network. The reviewer's `submit_verdict` asks for one revision, then approves; any other
 * tool gets the smallest value its schema accepts; plain text is derived from the prompt. Throws
 * `LlmError` `CANCELLED` when the signal aborts, `INVALID_OUTPUT` when it cannot satisfy a tool's
 * schema (use a scripted provider then).
 */
export function createOfflineProvider(options: OfflineProviderOptions = {}): LlmProvider {
  const now = options.now ?? (() => performance.now());
  return {
    name: 'offline',
    async complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>> {
      const started = now();
      throwIfAborted(request.signal);
      const parts = promptParts(request as LlmRequest<unknown>, OFFLINE_MODEL);
      let text: string;
      let output: T | undefined;
      if (request.tool === undefined) {
        text = offlineText(request as LlmRequest<unknown>);
      } else {
        output = offlineToolInput(request.tool, request.context.iteration);
        text = '';
      }
      const streamed = output === undefined ? text : JSON.stringify(output);
      await emitDeltas(streamed, request.onDelta, request.signal);
      const result: LlmResult<T> = {
        text,
        model: OFFLINE_MODEL,
        requestId: `offline-${hashPrompt(parts).slice(0, 16)}`,
        usage: { inputTokens: estimateTokens(JSON.stringify(parts)), outputTokens: estimateTokens(streamed) },
        costUsd: 0,
        latencyMs: Math.max(0, now() - started),
        attempts: 1,
        promptHash: hashPrompt(parts),
        stopReason: output === undefined ? 'end_turn' : 'tool_use',
      };
      if (output !== undefined) result.output = output;
      return result;
    },
  };
}

function offlineToolInput<T>(tool: LlmTool<T>, iteration: number): T {
  if (tool.name === 'submit_verdict') {
    const verdict =
      iteration <= 1
        ? { verdict: 'revise', feedback: OFFLINE_REVISION_FEEDBACK }
        : { verdict: 'approve', feedback: 'The draft addresses the instructions; approved.' };
    const parsed = tool.schema.safeParse(verdict);
    if (parsed.success) return parsed.data;
  }
  const parsed = tool.schema.safeParse(sampleFromJsonSchema(toolJsonSchema(tool as LlmTool<unknown>)));
  if (parsed.success) return parsed.data;
  throw new LlmError(
    'INVALID_OUTPUT',
    `The offline model cannot produce a valid input for tool "${tool.name}": ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}. Use a scripted provider for this schema.`,
  );
}
