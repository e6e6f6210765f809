/** Stored statuses; `blocked` is derived when queried, since registrations change without events. */
export type RecordedStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

export interface StatusRow {
  workflow_id: string;
  tenant: string | null;
  definition: string;
  version: number;
  status: RecordedStatus;
  state: string | null;
  current_step: string | null;
  iterations: string;
  revision: number;
  started_position: number;
  created_at: string;
  updated_at: string;
  output: string | null;
  artifact: string | null;
  error: string | null;
  reason: string | null;
  /** A child workflow's parent, as JSON `{ workflowId, step, call }` (from `WorkflowStarted.parent`). */
  parent: string | null;
  /** The parent's id alone, indexed: how a workflow's children are found. */
  parent_id: string | null;
  /**
   * What it waits for, as JSON `{ step, kind, signal?, timeoutAt?, accepts }` (see `WaitingRecord`).
   * Also set, while still running, by an escalating cap or budget event, which names the kind of
   * the `HumanInputRequested` that follows it; queries show it only while the status is `waiting`.
   */
  waiting_for: string | null;
  /** When a sleeping step, or a failed attempt's retry, wakes the workflow (ISO). */
  wake_at: string | null;
  /** Whether the wake is a sleep's or a retry's. */
  wake_kind: WakeKind | null;
  /** The workflow's deadline as JSON `{ at, onPass }` (from `WorkflowStarted.policies.deadline`). */
  deadline: string | null;
  /** The fan-out of the step running now, as JSON `ProgressRecord`: how many of its items have an outcome. */
  progress: string | null;
}

/** A running step iteration's fan-outs, as the `progress` column holds it. */
export interface ProgressRecord {
  step: string;
  iteration: number;
  /** Per fan-out name (`ctx.map('doc', …)`: `doc`): its items with a recorded outcome (a value or an error), and all its items. */
  counts: Record<string, [done: number, of: number]>;
  /** The fan-out an item of which was recorded last: the one the status shows. */
  last: string;
  /**
   * An item recorded with a retryable error: a step retry runs it again (`rerunOnRetry`), and its
   * outcome then is the same item's, not one more.
   */
  rerun?: string;
}

export type WakeKind = 'sleep' | 'retry';

/** What a waiting workflow waits for, as the `waiting_for` column holds it. */
export interface WaitingRecord {
  step: string;
  kind: 'cap' | 'budget' | 'approval' | 'signal';
  signal?: string;
  timeoutAt?: string;
  /** The commands (a signal's name first) it accepts while it waits. */
  accepts: string[];
}

/** The columns of `workflow_status`, in table order. */
export const STATUS_COLUMNS = [
  'workflow_id',
  'tenant',
  'definition',
  'version',
  'status',
  'state',
  'current_step',
  'iterations',
  'revision',
  'started_position',
  'created_at',
  'updated_at',
  'output',
  'artifact',
  'error',
  'reason',
  'parent',
  'parent_id',
  'waiting_for',
  'wake_at',
  'wake_kind',
  'deadline',
  'progress',
] as const satisfies readonly (keyof StatusRow)[];
