import type { Message, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages/messages';
import { LlmError } from '../errors.js';
import { safeDelta } from '../emitDeltas.js';
import type { LlmUsage } from '../types.js';

/** One model answer, whether it came as one JSON body or as a stream of events. */
export interface ModelTurn {
  model: string;
  requestId?: string;
  text: string;
  toolUse?: { id: string; name: string; input: unknown; parseError?: string };
  usage: LlmUsage;
  stopReason?: string;
}

type UsageLike = {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
};

function toUsage(usage: UsageLike, previous?: LlmUsage): LlmUsage {
  const result: LlmUsage = { inputTokens: usage.input_tokens ?? previous?.inputTokens ?? 0, outputTokens: usage.output_tokens ?? previous?.outputTokens ?? 0 };
  const cacheRead = usage.cache_read_input_tokens ?? previous?.cacheReadTokens;
  const cacheWrite = usage.cache_creation_input_tokens ?? previous?.cacheWriteTokens;
  if (cacheRead != null) result.cacheReadTokens = cacheRead;
  if (cacheWrite != null) result.cacheWriteTokens = cacheWrite;
  return result;
}

export function turnFromMessage(message: Message, requestId: string | null | undefined): ModelTurn {
  const turn: ModelTurn = { model: message.model, text: '', usage: toUsage(message.usage) };
  if (requestId) turn.requestId = requestId;
  if (message.stop_reason) turn.stopReason = message.stop_reason;
  for (const block of message.content) {
    if (block.type === 'text') turn.text += block.text;
    else if (block.type === 'tool_use' && turn.toolUse === undefined) turn.toolUse = { id: block.id, name: block.name, input: block.input };
  }
  return turn;
}

/**
 * Folds a Messages API event stream into a turn, publishing text and tool-input deltas as they arrive.
 * The SDK ends an aborted stream quietly, so the caller must check its signal afterwards.
 */
export async function turnFromStream(
  events: AsyncIterable<RawMessageStreamEvent>,
  requestId: string | null | undefined,
  onDelta: ((text: string) => void) | undefined,
  signal: AbortSignal,
): Promise<ModelTurn> {
  const turn: ModelTurn = { model: '', text: '', usage: { inputTokens: 0, outputTokens: 0 } };
  if (requestId) turn.requestId = requestId;
  let tool: { index: number; id: string; name: string; json: string } | undefined;
  let stopped = false;
  for await (const event of events) {
    switch (event.type) {
      case 'message_start':
        turn.model = event.message.model;
        turn.usage = toUsage(event.message.usage);
        break;
      case 'content_block_start':
        if (event.content_block.type === 'tool_use' && tool === undefined)
          tool = { index: event.index, id: event.content_block.id, name: event.content_block.name, json: '' };
        else if (event.content_block.type === 'text' && event.content_block.text !== '') {
          turn.text += event.content_block.text;
          safeDelta(onDelta, event.content_block.text);
        }
        break;
      case 'content_block_delta':
        if (event.delta.type === 'text_delta') {
          turn.text += event.delta.text;
          safeDelta(onDelta, event.delta.text);
        } else if (event.delta.type === 'input_json_delta' && tool?.index === event.index) {
          tool.json += event.delta.partial_json;
          safeDelta(onDelta, event.delta.partial_json);
        }
        break;
      case 'message_delta':
        turn.usage = toUsage(event.usage, turn.usage);
        if (event.delta.stop_reason) turn.stopReason = event.delta.stop_reason;
        break;
      case 'message_stop':
        stopped = true;
        break;
      default:
        break;
    }
  }
  if (signal.aborted) throw new LlmError('CANCELLED', 'The model call was aborted mid-stream.', { cause: signal.reason });
  if (!stopped) throw new LlmError('CONNECTION', 'The Anthropic stream ended before message_stop.');
  if (tool !== undefined) turn.toolUse = parseToolInput(tool);
  return turn;
}

function parseToolInput(tool: { id: string; name: string; json: string }): NonNullable<ModelTurn['toolUse']> {
  // An empty input_json stream means an empty object, per the streaming protocol.
  if (tool.json.trim() === '') return { id: tool.id, name: tool.name, input: {} };
  try {
    return { id: tool.id, name: tool.name, input: JSON.parse(tool.json) as unknown };
  } catch (error) {
    return { id: tool.id, name: tool.name, input: undefined, parseError: (error as Error).message };
  }
}
