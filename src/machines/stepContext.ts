import type { StoredArtifact } from '../artifacts/types.js';
import type { LlmRequest, LlmResult } from '../llm/types.js';
import type { JsonValue } from './context.js';

/** A model call from a step: the runtime fills in the call context, the AbortSignal and the delta stream. */
export type StepLlmRequest<T> = Omit<LlmRequest<T>, 'context' | 'signal' | 'onDelta'>;

/**
 * What a step's `run` receives. Everything effectful goes through it, so the runtime can record
 * accounting, abort on CANCEL/timeout/shutdown, and keep the machine pure.
 */
export interface StepContext<I> {
  readonly workflowId: string;
  readonly definition: string;
  readonly step: string;
  readonly iteration: number;
  readonly attempt: number;
  /** `<workflowId>/<step>/<iteration>`: the same logical call always carries the same key. */
  readonly idempotencyKey: string;
  readonly input: I;
  /** Latest output of every step that completed so far (large outputs already loaded back). */
  readonly outputs: Readonly<Record<string, JsonValue>>;
  /** Feedback for this step's revision, when a reviewer or a person sent it back. */
  readonly feedback: string | undefined;
  /** Aborted by CANCEL, the step's timeout, or shutdown. */
  readonly signal: AbortSignal;
  /** Calls the model through the LLM port; usage and cost are recorded with the step's outcome. */
  complete<T>(request: StepLlmRequest<T>): Promise<LlmResult<T>>;
  /** Writes an artifact under this workflow; the step's outcome event records its path and hash. */
  putArtifact(name: string, content: string): Promise<StoredArtifact>;
}

export type StepRun<I, O = JsonValue> = (ctx: StepContext<I>) => Promise<O>;
