import type { z } from 'zod';
import { isLlmError, type LlmResult } from '../llm/index.js';
import type { JsonValue, events } from '../machines/index.js';

type LlmAccounting = z.infer<typeof events.LlmAccounting>;
type ErrorInfo = z.infer<typeof events.ErrorInfo>;

// How a journaled call's outcome is recorded, and read back the same on every run.

/** `{ code, message, retryable }` of anything thrown. */
export function errorInfo(error: unknown): ErrorInfo {
  if (isLlmError(error)) return { code: error.code, message: error.message, retryable: error.retryable };
  const fields = typeof error === 'object' && error !== null ? (error as { code?: unknown; retryable?: unknown }) : {};
  const code = typeof fields.code === 'string' ? fields.code : 'ACTIVITY_ERROR';
  return { code, message: error instanceof Error ? error.message : String(error), retryable: fields.retryable === true };
}

/** The JSON form of a value (what is recorded and what every run gets back), or what JSON cannot hold. */
export function jsonForm(value: unknown): { ok: true; value: JsonValue; json: string } | { ok: false; what: string } {
  if (value === undefined || value === null) return { ok: true, value: null, json: 'null' };
  if (typeof value === 'number' && !Number.isFinite(value)) return { ok: false, what: String(value) };
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return { ok: false, what: `a value JSON.stringify rejects (${(error as Error).message})` };
  }
  if (json === undefined) return { ok: false, what: `a ${typeof value}` };
  return { ok: true, value: typeof value === 'object' ? (JSON.parse(json) as JsonValue) : (value as JsonValue), json };
}

/** A copy for the step: a recorded value is part of the machine's context, which is never changed in place. */
export const copyOf = <T extends JsonValue | undefined>(value: T): T =>
  typeof value === 'object' && value !== null ? (JSON.parse(JSON.stringify(value)) as T) : value;

/** A provider result (or a failed call's accounting) as recorded. */
export function accountingOf(result: {
  model: string;
  requestId?: string;
  usage: LlmResult['usage'];
  costUsd: number;
  latencyMs: number;
  attempts: number;
  promptHash: string;
}): LlmAccounting {
  const llm: LlmAccounting = {
    model: result.model,
    inputTokens: result.usage.inputTokens,
    outputTokens: result.usage.outputTokens,
    costUsd: result.costUsd,
    latencyMs: result.latencyMs,
    attempts: result.attempts,
    promptHash: result.promptHash,
  };
  if (result.requestId !== undefined) llm.requestId = result.requestId;
  if (result.usage.cacheReadTokens !== undefined) llm.cacheReadTokens = result.usage.cacheReadTokens;
  if (result.usage.cacheWriteTokens !== undefined) llm.cacheWriteTokens = result.usage.cacheWriteTokens;
  return llm;
}

/** The recorded accounting back in the provider's shape (an unaccounted call reports zeros). */
export function resultAccounting(llm: LlmAccounting | undefined): Omit<LlmResult, 'text'> {
  if (llm === undefined) return { model: 'unknown', usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0, latencyMs: 0, attempts: 0, promptHash: '' };
  const usage: LlmResult['usage'] = { inputTokens: llm.inputTokens, outputTokens: llm.outputTokens };
  if (llm.cacheReadTokens !== undefined) usage.cacheReadTokens = llm.cacheReadTokens;
  if (llm.cacheWriteTokens !== undefined) usage.cacheWriteTokens = llm.cacheWriteTokens;
  const result: Omit<LlmResult, 'text'> = {
    model: llm.model,
    usage,
    costUsd: llm.costUsd,
    latencyMs: llm.latencyMs,
    attempts: llm.attempts,
    promptHash: llm.promptHash,
  };
  if (llm.requestId !== undefined) result.requestId = llm.requestId;
  return result;
}
