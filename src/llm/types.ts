import type { z } from 'zod';

/** One turn of the conversation sent to the model. */
export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** Where a call comes from: for logs, idempotency and the deterministic offline model. */
export interface LlmCallContext {
  workflowId: string;
  definition: string;
  step: string;
  /** 1-based iteration of the step's loop. */
  iteration: number;
  /**
   * 1-based step attempt, as recorded in its StepStarted: a re-run after a crash or a shutdown
   * increments it; the engine's retries of a retryable error inside the attempt do not.
   */
  attempt: number;
  /** Deterministic per (workflow, step, iteration): the same logical call always carries the same key. */
  idempotencyKey: string;
  /** The journaled call it is made for: its name (`complete#1`, or the request's `name`). */
  call?: string;
  /** The fan-out item that makes it (`<fan-out>/<index>`, `<fan-out>/<key>`), whose journal `call` is in. */
  item?: string;
}

/** Structured output through forced tool use: the model must call this tool; its input is validated. */
export interface LlmTool<T = unknown> {
  /** The tool's name, e.g. `submit_verdict`. */
  name: string;
  /** Tells the model what the tool's input is for. */
  description: string;
  /**
   * The tool input's schema: sent to the model as JSON Schema, and the answer is parsed with it
   * (an invalid one fails as `INVALID_OUTPUT`; Anthropic first feeds it back, up to `maxRepairs` times).
   */
  schema: z.ZodType<T>;
}

/** One model call. From a step, `ctx.complete` takes it without `context`, `signal` and `onDelta` (see `StepLlmRequest`). */
export interface LlmRequest<T = unknown> {
  /** Which workflow, step, iteration and attempt the call is for (the engine fills it in for steps). */
  context: LlmCallContext;
  /** The model id; default: the provider's. */
  model?: string | undefined;
  /** The system prompt. */
  system?: string | undefined;
  /** The conversation, oldest first. */
  messages: LlmMessage[];
  /** Most output tokens; default: the provider's (Anthropic 4,096). */
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  /** Structured output: the model must answer by calling this tool; the validated input is `result.output`. */
  tool?: LlmTool<T> | undefined;
  /** Aborts the call (CANCEL, per-step timeout, shutdown). */
  signal?: AbortSignal;
  /** Live token deltas, for followers only: never recorded in the stream. */
  onDelta?: (text: string) => void;
}

/** Tokens a call used, as the provider reports them. */
export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

/** A model call's answer and what it cost. */
export interface LlmResult<T = unknown> {
  /** Text output (plain steps). */
  text: string;
  /** Validated tool input (structured steps). */
  output?: T;
  /** The model that answered. */
  model: string;
  /** The provider's request id, for support. */
  requestId?: string;
  usage: LlmUsage;
  /** In USD, from the provider's price table (offline: 0; scripted: the entry's `costUsd`, default 0). */
  costUsd: number;
  /** Wall time of the call, retries included. */
  latencyMs: number;
  /** How many attempts the provider's policy needed, including invalid-output retries. */
  attempts: number;
  /** sha256 of the exact prompt (system + messages + tools). */
  promptHash: string;
  stopReason?: string;
}

/** What a call cost, also when it failed (carried by `LlmError.accounting`). */
export interface LlmAccounting {
  model: string;
  requestId?: string;
  usage: LlmUsage;
  costUsd: number;
  latencyMs: number;
  attempts: number;
  promptHash: string;
}

/**
 * The LLM port. Adapters: offline (deterministic), scripted (JSON file), anthropic. Write your own
 * by implementing `complete`: honour `request.signal`, and throw only `LlmError`s.
 */
export interface LlmProvider {
  /** e.g. `offline`, `anthropic`, `script:<file>`; printed by the CLI. */
  readonly name: string;
  /**
   * Makes one call, with whatever retries the provider's own policy does. Rejects with an
   * `LlmError`: `CANCELLED` when `signal` aborts, `INVALID_OUTPUT` when a tool answer never
   * validates, the provider's codes otherwise (`isRetryableLlmError` tells transient ones apart).
   */
  complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>>;
}
