import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from './canonicalJson.js';
import type { LlmRequest, LlmTool } from './types.js';

/** The exact prompt as the Messages API sees it: what the prompt hash covers. */
export interface PromptParts {
  model: string;
  system?: string;
  messages: { role: 'user' | 'assistant'; content: string }[];
  tools?: { name: string; description: string; input_schema: Record<string, unknown> }[];
  tool_choice?: { type: 'tool'; name: string };
}

const schemaCache = new WeakMap<z.ZodType, Record<string, unknown>>();

/** The tool's JSON Schema as sent to the model: the schema's *input* side (defaults optional), without `$schema`. */
export function toolJsonSchema(tool: LlmTool<unknown>): Record<string, unknown> {
  const cached = schemaCache.get(tool.schema);
  if (cached !== undefined) return cached;
  const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  schemaCache.set(tool.schema, schema);
  return schema;
}

export function promptParts(request: LlmRequest<unknown>, model: string): PromptParts {
  const parts: PromptParts = { model, messages: request.messages.map(({ role, content }) => ({ role, content })) };
  if (request.system !== undefined) parts.system = request.system;
  if (request.tool !== undefined) {
    parts.tools = [{ name: request.tool.name, description: request.tool.description, input_schema: toolJsonSchema(request.tool) }];
    parts.tool_choice = { type: 'tool', name: request.tool.name };
  }
  return parts;
}

/** sha256 (hex) of the canonical JSON of {model, system, messages, tools, tool_choice}. */
export const hashPrompt = (parts: PromptParts): string => createHash('sha256').update(canonicalJson(parts)).digest('hex');

/** A rough token count (≈ 4 characters per token) for providers that have no tokenizer. */
export const estimateTokens = (text: string): number => (text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4)));
