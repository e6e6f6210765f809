import type { Observable } from 'rxjs';
import type { Logger } from 'winston';
import type { ArtifactStore } from '../artifacts/types.js';
import type { EventStore } from '../eventstore/types.js';
import type { LlmProvider } from '../llm/types.js';
import type {
  AnyWorkflowDefinition,
  CommandType,
  DefinitionRegistry,
  JsonValue,
  WorkflowContext,
  WorkflowEvent,
  WorkflowEventMetadata,
  WorkflowStatus,
} from '../machines/index.js';

export interface RetryOptions {
  /** Calls per activity attempt, the first included (default 3). Only retryable errors of plain functions are retried: model errors are the provider's to retry. */
  maxAttempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface EngineOptions {
  store: EventStore;
  llm: LlmProvider;
  artifacts: ArtifactStore;
  logger: Logger;
  definitions: DefinitionRegistry;
  /** The clock for recorded times and due times (inject one in tests). */
  now?: () => Date;
  /** Event and workflow ids; must return UUIDs (the store requires them for event ids). */
  newId?: () => string;
  retry?: RetryOptions;
  /** Waiting workflows kept in memory; beyond this the least recently used are passivated (default 10,000). */
  maxIdleActors?: number;
  /** Write a snapshot to the side stream every this many events of a workflow (default 1,000). */
  snapshotEvery?: number;
  /** Outputs larger than this many bytes go to the artifact store (default 64 KiB). */
  maxInlineOutputBytes?: number;
}

export interface StartOptions {
  /** Idempotency key: the same id and input return the existing workflow. Default: a new UUID. */
  id?: string;
  tenant?: string;
  /** Who asked (API key id, `cli`, ...): recorded in the metadata. Default `system`. */
  sender?: string;
  /** Id of the command that caused the start, recorded as the first event's causation id. */
  commandId?: string;
}

export interface SendOptions {
  sender?: string;
  commandId?: string;
}

/** What a caller sees of a workflow: its fold, summarized. */
export interface WorkflowView {
  workflowId: string;
  definition: string;
  version: number;
  tenant?: string;
  status: WorkflowStatus;
  /** e.g. `review.waiting`, `completed`. */
  state: string;
  value: unknown;
  step?: string;
  iteration?: number;
  /** Revision of the last event folded. */
  revision: number;
  accepts: CommandType[];
  /** What it waits for, when it does: a loop's cap, the budget, or an approval gate. */
  waitingFor?: { step: string; kind: 'cap' | 'budget' | 'approval' };
  output: JsonValue | null;
  reason: string | null;
  usage: WorkflowContext['usage'];
  context: WorkflowContext;
}

export interface StartResult {
  workflowId: string;
  /** False when a workflow with this id and input already existed (idempotent start). */
  created: boolean;
  view: WorkflowView;
}

export type SendResult =
  | { accepted: true; workflowId: string; event: WorkflowEvent; revision: number; view: WorkflowView }
  | {
      accepted: false;
      workflowId: string;
      code: 'WORKFLOW_NOT_FOUND' | 'UNKNOWN_COMMAND' | 'INVALID_COMMAND' | 'COMMAND_NOT_ALLOWED' | 'CONCURRENCY_CONFLICT' | 'ENGINE_CLOSED';
      message: string;
      state?: string;
      accepts: CommandType[];
    };

/** A recorded transition (after its append), or a live token delta (never recorded). */
export type EngineEvent =
  | {
      kind: 'transition';
      workflowId: string;
      revision: number;
      eventId: string;
      event: WorkflowEvent;
      metadata: WorkflowEventMetadata;
      /** State label after this event. */
      state: string;
      status: WorkflowStatus;
    }
  | { kind: 'delta'; workflowId: string; step: string; iteration: number; text: string };

export interface RecoverResult {
  /** Workflows whose work was resumed. */
  resumed: string[];
  /** Non-terminal workflows left waiting for a person (not loaded). */
  waiting: number;
}

export interface Engine {
  /** Starts a workflow on the definition's latest version, or returns the existing one with this id. */
  start(definition: string | AnyWorkflowDefinition, input: unknown, options?: StartOptions): Promise<StartResult>;
  /** Validates a command, checks it is allowed now, records its event; a rejection changes nothing. */
  send(workflowId: string, command: unknown, options?: SendOptions): Promise<SendResult>;
  /** The workflow's current view (rehydrated on demand), or undefined. */
  get(workflowId: string): Promise<WorkflowView | undefined>;
  /** Drives the workflow until nothing is in flight (waiting for a person, or finished); after close(), returns where it stopped. */
  settled(workflowId: string): Promise<WorkflowView>;
  /** This workflow's transitions and deltas from now on. */
  subscribe(workflowId: string): Observable<EngineEvent>;
  /** Every workflow's transitions and deltas from now on. */
  readonly feed: Observable<EngineEvent>;
  /** Resumes every non-terminal workflow in the store that has work to do. */
  recover(): Promise<RecoverResult>;
  /** Drops idle workflows from memory (all, or one); they are rehydrated on demand. */
  passivate(workflowId?: string): Promise<number>;
  /** How many workflows are live in memory now. */
  liveCount(): number;
  /** Stops accepting work, aborts calls in flight (left recoverable), waits for appends in flight. */
  close(): Promise<void>;
}

export type { WorkflowEventMetadata };
