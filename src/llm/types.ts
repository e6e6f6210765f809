import type { z } from 'zod';

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
  /** 1-based activity attempt (a re-run after a crash or a retryable failure increments it). */
  attempt: number;
  /** Deterministic per (workflow, step, iteration): the same logical call always carries the same key. */
  idempotencyKey: string;
}

/** Structured output through forced tool use: the model must call this tool; its input is validated. */
export interface LlmTool<T = unknown> {
  name: string;
  description: string;
  schema: z.ZodType<T>;
}

export interface LlmRequest<T = unknown> {
  context: LlmCallContext;
  model?: string;
  system?: string;
  messages: LlmMessage[];
  maxTokens?: number;
  temperature?: number;
  tool?: LlmTool<T>;
  /** Aborts the call (CANCEL, per-step timeout, shutdown). */
  signal?: AbortSignal;
  /** Live token deltas, for followers only: never recorded in the stream. */
  onDelta?: (text: string) => void;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

export interface LlmResult<T = unknown> {
  /** Text output (plain steps). */
  text: string;
  /** Validated tool input (structured steps). */
  output?: T;
  model: string;
  requestId?: string;
  usage: LlmUsage;
  costUsd: number;
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

/** The LLM port. Adapters: offline (deterministic), scripted (JSON file), anthropic. */
export interface LlmProvider {
  /** e.g. `offline`, `anthropic`, `script:<file>`; printed by the CLI. */
  readonly name: string;
  complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>>;
}
