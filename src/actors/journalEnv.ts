import type { IPolicy } from 'cockatiel';
import type { ArtifactStore } from '../artifacts/index.js';
import type { LlmProvider } from '../llm/index.js';
import type { RecordedCall, WorkflowEventOf } from '../machines/index.js';

// What the journal of one step attempt (callJournal.ts) is given by the step runner and the actor.

/** A journaled call's event, as the step runner hands it to the actor. */
export type CallCompletedEvent = WorkflowEventOf<'CallCompleted'>;

/** Where a call's outcome is recorded: the workflow's actor. */
export interface CallRecorder {
  /**
   * Appends a call's outcome through the actor's one queue (persist, then act), caused by the
   * attempt's `StepStarted`: resolves true once it is recorded, false when the workflow no longer
   * accepts it (cancelled, timed out, a superseded attempt); rejects when the store failed.
   */
  recordCall(event: CallCompletedEvent, causationId: string): Promise<boolean>;
}

/** Where the attempt's current signal is read (the step context): a retried run gets a new one under a timeout. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/** What the journal of one step attempt needs from the runner. */
export interface JournalEnv {
  workflowId: string;
  definition: string;
  step: string;
  iteration: number;
  attempt: number;
  idempotencyKey: string;
  /** The iteration's journal so far (from the context the attempt was launched with). */
  recorded: readonly RecordedCall[];
  recorder: CallRecorder;
  /** The id of the attempt's `StepStarted`: every call's causation. */
  startedId: string;
  llm: LlmProvider;
  artifacts: ArtifactStore;
  maxInlineOutputBytes: number;
  now: () => Date;
  /** How `run` retries an error flagged `retryable: true` (the engine's retry options). */
  retries: IPolicy;
  onDelta: ((text: string) => void) | undefined;
}
