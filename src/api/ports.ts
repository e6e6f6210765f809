import type { Observable } from 'rxjs';
import type { z } from 'zod';
import type { EventStore, JsonValue } from '../eventstore/index.js';
import type { AppendStats } from './countAppends.js';

/**
 * What the HTTP API needs from the rest of ECL. `createApiPorts` (apiPorts.ts) builds these
 * from the engine and the projections; tests may hand in their own. Ids here are store ids
 * (tenant-prefixed); the API maps them to and from the client's ids.
 */

export interface CommandInfo {
  type: string;
  description?: string;
  data: z.ZodType;
}

export interface DefinitionInfo {
  name: string;
  version: number;
  description?: string;
  input: z.ZodType;
  /** Commands the definition's workflows accept somewhere in their life (APPROVE, CANCEL, ...). */
  commands: readonly CommandInfo[];
}

export interface StartRequest {
  workflowId: string;
  definition: string;
  /** A registered version to start; default the newest. */
  version?: number;
  input: unknown;
  tenant: string | undefined;
  /** API key id of the caller: recorded as the event sender. */
  sender: string;
  /** Wait this long for the workflow to finish or to wait for a person or a signal. */
  waitMs?: number;
}

export interface StartOutcome {
  /** False when the same id and input already existed (idempotent start). */
  created: boolean;
  /** With `waitMs`: how the wait ended. */
  outcome?: Outcome;
  /**
   * Where it stands after the start (and the wait), folded from its own events by the status read
   * model's rules: a write is answered at once, where a read waits for the read model to include it.
   */
  status: WorkflowStatusView;
}

export interface SendRequest {
  workflowId: string;
  type: string;
  data: unknown;
  sender: string;
  /** The client's Idempotency-Key: a command sent again with it answers with its first recording. */
  commandId?: string | undefined;
}

export interface SendOutcome {
  /** Stream revision of the event the command recorded: resume an SSE stream from it. */
  revision: number;
  /** Revision of the last event appended in the same batch (what the command caused); `revision` when it caused nothing. */
  lastRevision?: number;
  /** The command's id was recorded before: this is that recording, nothing new was written. */
  duplicate?: boolean;
}

/** Where a workflow stands after a wait (see `StartRequest.waitMs`): finished; waiting for a person or a signal; or still running when the wait ended. */
export type Outcome = 'finished' | 'waiting' | 'running';

/** A live token delta from a model call in progress. Never recorded; followers only. */
export interface TokenDelta {
  workflowId: string;
  step: string;
  iteration: number;
  text: string;
}

/**
 * The command side. Rejections throw an `ApiError` (see apiPorts.ts for the mapping):
 * UNKNOWN_DEFINITION, INVALID_INPUT, WORKFLOW_EXISTS, WORKFLOW_NOT_FOUND, UNKNOWN_EVENT_TYPE,
 * INVALID_EVENT_DATA, EVENT_NOT_ACCEPTED, SHUTTING_DOWN.
 */
export interface ApiRuntime {
  definitions(): readonly DefinitionInfo[];
  start(request: StartRequest): Promise<StartOutcome>;
  send(request: SendRequest): Promise<SendOutcome>;
  /** The children a running workflow's step waits for, when all of them wait for someone (see `Engine.waitingOn`). */
  waitingOn(workflowId: string): Promise<string[] | undefined>;
  /**
   * Resolves when the workflow finishes or waits for someone (itself, or through the children its
   * step waits for) with its status then, folded from its stream; undefined when `waitMs` passed
   * first or `signal` aborted (the client went away).
   */
  untilAtRest(workflowId: string, waitMs: number, signal?: AbortSignal): Promise<WorkflowStatusView | undefined>;
  /** Live token deltas of every workflow hosted by this process. */
  readonly deltas: Observable<TokenDelta>;
  /** Resilience figures for /metrics, e.g. the model's circuit breaker. */
  resilience?(): ResilienceStats;
}

export interface ResilienceStats {
  /** `closed`, `open`, `half-open` or `isolated`, per provider. */
  breakers: Array<{ name: string; state: string }>;
}

export interface ListQuery {
  tenant: string | undefined;
  status?: string;
  definition?: string;
  /** Only the children of this workflow (an internal id). */
  parent?: string;
  limit: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface LagInfo {
  positions: number;
  checkpoint: string | null;
  head: string | null;
}

/** The read side: projections. Status and audit values are JSON as the read models hold them. */
export interface ApiQueries {
  getStatus(workflowId: string): Promise<WorkflowStatusView | undefined>;
  list(query: ListQuery): Promise<ListPage<WorkflowStatusView>>;
  getAudit(workflowId: string): Promise<JsonValue[] | undefined>;
  /** The workflows its steps started, theirs, and so on (parents first), each with its model usage and tenant. */
  getDescendants(workflowId: string): Promise<DescendantView[]>;
  metricsSummary(tenant: string | undefined): Promise<JsonValue>;
  /** Counts of workflows by status (all tenants), for /metrics. */
  countsByStatus(): Promise<Record<string, number>>;
  /** Model calls, tokens and cost (all tenants), for /metrics. */
  modelTotals(): Promise<{ calls: number; inputTokens: number; outputTokens: number; costUsd: number }>;
  lag(): Promise<LagInfo>;
  /** The newest workflow event in the log (reads wait for the read models to reach it). */
  head(): Promise<bigint | null>;
  /** Resolves once the read models include `position`; rejects on timeout. */
  waitFor(position: bigint, timeoutMs: number): Promise<void>;
}

export type DescendantView = {
  workflowId: string;
  definition: string;
  status: string;
  parentId: string;
  tenant: string | null;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
};

export type WorkflowStatusView = { workflowId: string; status: string; tenant?: string | null } & Record<string, unknown>;

export interface ApiPorts {
  runtime: ApiRuntime;
  queries: ApiQueries;
  /** SSE streams read the log directly: catch-up then live, with the store's own ordering. */
  store: EventStore;
  /** Appends counted by `countAppends`, for /metrics. */
  appendStats?: () => AppendStats;
}
