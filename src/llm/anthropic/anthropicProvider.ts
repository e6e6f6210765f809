import type Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming, MessageParam } from '@anthropic-ai/sdk/resources/messages/messages';
import { handleWhen, retry } from 'cockatiel';
import type { Logger } from 'winston';
import { LlmError, isLlmError } from '../errors.js';
import { DEFAULT_TIMEOUT_MS, createLlmPolicy, type LlmPolicyOptions, type LlmPolicyStats } from '../llmPolicy.js';
import { hashPrompt, promptParts } from '../promptParts.js';
import type { LlmAccounting, LlmProvider, LlmRequest, LlmResult, LlmUsage } from '../types.js';
import { turnFromMessage, turnFromStream, type ModelTurn } from './modelTurn.js';
import { DEFAULT_PRICES, costOf, priceOf, type PriceTable } from './priceTable.js';
import { isInvalidToolInput, validateToolTurn } from './structuredOutput.js';
import { loadSdk, translateSdkError } from './translateSdkError.js';

/** The Anthropic provider's default model: a current one the SDK does not flag as deprecated (see DEPRECATED_MODELS in the SDK's messages resource). */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-4-6';
export const DEFAULT_MAX_TOKENS = 4096;

/** Options of {@link createAnthropicProvider}; all optional. */
export interface AnthropicProviderOptions {
  /** Only when configured: otherwise the SDK reads ANTHROPIC_API_KEY (and its other credential sources) itself. */
  apiKey?: string;
  /** Only when configured: otherwise the SDK reads ANTHROPIC_BASE_URL. */
  baseURL?: string;
  /** A prebuilt client (its own retries are switched off). */
  client?: Anthropic;
  /** Default model of requests that name none (default {@link DEFAULT_ANTHROPIC_MODEL}). */
  model?: string;
  /** Default `max_tokens` (4,096). */
  maxTokens?: number;
  /** Default temperature (the API's own when unset). */
  temperature?: number;
  /** `auto` streams when the request has an `onDelta` listener. */
  streaming?: 'auto' | 'always' | 'never';
  /** Merged over DEFAULT_PRICES (USD per million tokens). */
  prices?: PriceTable;
  /** Invalid structured outputs fed back to the model before INVALID_OUTPUT. Default 2. */
  maxRepairs?: number;
  /**
   * The resilience policy every call goes through: bulkhead (`concurrency` 8, `queue` 256) → retry
   * of retryable errors honouring `retry-after` (`maxRetries` 4, backoff from `initialDelayMs`
   * 500 to `maxDelayMs` 30 s, `maxRetryAfterMs` 60 s) → circuit breaker (`breakerThreshold` 5
   * consecutive failures, `halfOpenAfterMs` 30 s) → per-attempt `timeoutMs` (10 min).
   */
  policy?: LlmPolicyOptions;
  /** Call results at `info`; failures, retries, repairs, unpriced models and the breaker's opening at `warn`; the SDK's own lines at `debug`. */
  logger?: Logger;
}

export interface AnthropicProvider extends LlmProvider {
  readonly model: string;
  /** Breaker state and counters, for logs and /metrics. */
  stats(): LlmPolicyStats;
}

/**
 * Claude through @anthropic-ai/sdk (loaded on the first call), under one cockatiel policy shared
 * by all calls of this provider; SDK errors become `LlmError`s here, with what failed attempts
 * cost in `accounting`. The SDK's own retries are off. Does not throw; a call without credentials
 * rejects with `AUTHENTICATION`.
 */
export function createAnthropicProvider(options: AnthropicProviderOptions = {}): AnthropicProvider {
  const { logger } = options;
  const defaultModel = options.model ?? DEFAULT_ANTHROPIC_MODEL;
  const timeoutMs = options.policy?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const prices: PriceTable = { ...DEFAULT_PRICES, ...options.prices };
  const streaming = options.streaming ?? 'auto';
  // The SDK is over a thousand modules: it is loaded on the first call, so processes that never call Claude start fast.
  let client: Anthropic | undefined;
  const clientFor = async (): Promise<Anthropic> => {
    if (client !== undefined) return client;
    const { Anthropic: Client } = await loadSdk();
    client = (
      options.client ??
      new Client({
        maxRetries: 0,
        ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
        ...(options.baseURL !== undefined && { baseURL: options.baseURL }),
        logger: sdkLogger(logger),
      })
    ).withOptions({ maxRetries: 0 });
    return client;
  };
  const policy = createLlmPolicy({ ...options.policy, ...(logger !== undefined && { logger }) });
  const repair = retry(handleWhen(isInvalidToolInput), { maxAttempts: options.maxRepairs ?? 2 });
  const unpriced = new Set<string>();

  const costFor = (model: string, usage: LlmUsage): number => {
    const price = priceOf(prices, model);
    if (price !== undefined) return costOf(price, usage);
    if (!unpriced.has(model)) {
      unpriced.add(model);
      logger?.warn('No price for this model; its cost is recorded as 0. Add it to the price table.', { model });
    }
    return 0;
  };

  const callOnce = async (
    body: MessageCreateParamsNonStreaming,
    stream: boolean,
    signal: AbortSignal,
    onDelta: ((text: string) => void) | undefined,
  ): Promise<ModelTurn> => {
    try {
      const client = await clientFor();
      if (!stream) {
        const { data, request_id } = await client.messages.create(body, { signal, timeout: timeoutMs }).withResponse();
        return turnFromMessage(data, request_id);
      }
      const { data, request_id } = await client.messages.create({ ...body, stream: true }, { signal, timeout: timeoutMs }).withResponse();
      return await turnFromStream(data, request_id, onDelta, signal);
    } catch (error) {
      throw await translateSdkError(error, body.model);
    }
  };

  return {
    name: 'anthropic',
    model: defaultModel,
    stats: () => policy.stats(),
    async complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>> {
      const started = performance.now();
      const model = request.model ?? defaultModel;
      const parts = promptParts(request as LlmRequest<unknown>, model);
      const promptHash = hashPrompt(parts);
      const stream = streaming === 'always' || (streaming === 'auto' && request.onDelta !== undefined);
      const conversation: MessageParam[] = [...parts.messages];
      const spent: LlmAccounting = { model, usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0, latencyMs: 0, attempts: 0, promptHash };
      const account = (turn: ModelTurn): void => {
        spent.model = turn.model || model;
        if (turn.requestId !== undefined) spent.requestId = turn.requestId;
        spent.usage = addUsage(spent.usage, turn.usage);
        spent.costUsd += costFor(spent.model, turn.usage);
      };
      const body = (): MessageCreateParamsNonStreaming => ({
        model,
        max_tokens: request.maxTokens ?? options.maxTokens ?? DEFAULT_MAX_TOKENS,
        messages: conversation,
        ...(parts.system !== undefined && { system: parts.system }),
        ...((request.temperature ?? options.temperature) !== undefined && { temperature: request.temperature ?? options.temperature }),
        ...(parts.tools !== undefined && { tools: parts.tools as MessageCreateParamsNonStreaming['tools'], tool_choice: parts.tool_choice }),
      });

      try {
        const { turn, output } = await repair.execute(async () => {
          const { value: turn } = await policy.run(request.context, request.signal, (signal) => {
            spent.attempts++;
            return callOnce(body(), stream, signal, request.onDelta);
          });
          account(turn);
          if (request.tool === undefined) return { turn, output: undefined };
          try {
            return { turn, output: validateToolTurn(request.tool, turn) };
          } catch (error) {
            if (isInvalidToolInput(error)) {
              conversation.push(...error.feedback);
              logger?.warn('LLM tool input invalid, asking the model again', {
                workflowId: request.context.workflowId,
                step: request.context.step,
                attempt: spent.attempts,
                code: 'INVALID_OUTPUT',
              });
            }
            throw error;
          }
        }, request.signal);
        spent.latencyMs = performance.now() - started;
        const result: LlmResult<T> = {
          text: turn.text,
          model: spent.model,
          usage: spent.usage,
          costUsd: spent.costUsd,
          latencyMs: spent.latencyMs,
          attempts: spent.attempts,
          promptHash,
        };
        if (spent.requestId !== undefined) result.requestId = spent.requestId;
        if (turn.stopReason !== undefined) result.stopReason = turn.stopReason;
        if (output !== undefined) result.output = output;
        logger?.info('LLM call completed', {
          workflowId: request.context.workflowId,
          step: request.context.step,
          iteration: request.context.iteration,
          attempt: request.context.attempt,
          model: result.model,
          requestId: result.requestId,
          inputTokens: result.usage.inputTokens,
          outputTokens: result.usage.outputTokens,
          costUsd: result.costUsd,
          latencyMs: Math.round(result.latencyMs),
          attempts: result.attempts,
        });
        return result;
      } catch (error) {
        spent.latencyMs = performance.now() - started;
        const failed = isInvalidToolInput(error)
          ? new LlmError(
              'INVALID_OUTPUT',
              `The model's "${request.tool?.name}" input was invalid ${spent.attempts} times; giving up. Last problem: ${error.message}`,
              { accounting: spent },
            )
          : isLlmError(error)
            ? withAccounting(error, spent)
            : error;
        logger?.warn('LLM call failed', {
          workflowId: request.context.workflowId,
          step: request.context.step,
          attempts: spent.attempts,
          code: isLlmError(failed) ? failed.code : 'UNKNOWN',
        });
        throw failed;
      }
    },
  };
}

const addUsage = (a: LlmUsage, b: LlmUsage): LlmUsage => {
  const sum: LlmUsage = { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
  if (a.cacheReadTokens !== undefined || b.cacheReadTokens !== undefined) sum.cacheReadTokens = (a.cacheReadTokens ?? 0) + (b.cacheReadTokens ?? 0);
  if (a.cacheWriteTokens !== undefined || b.cacheWriteTokens !== undefined) sum.cacheWriteTokens = (a.cacheWriteTokens ?? 0) + (b.cacheWriteTokens ?? 0);
  return sum;
};

const withAccounting = (error: LlmError, accounting: LlmAccounting): LlmError =>
  new LlmError(error.code, error.message, { cause: error.cause, status: error.status, retryAfterMs: error.retryAfterMs, accounting: { ...accounting } });

/** The SDK's own log lines go to winston at debug level, message only: its extra arguments can hold request bodies. */
function sdkLogger(logger: Logger | undefined) {
  const write = (message: string): void => {
    logger?.debug(`anthropic-sdk: ${message}`);
  };
  return { error: write, warn: write, info: write, debug: write };
}
