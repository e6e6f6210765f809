import type { JsonValue } from '../eventstore/index.js';
import type { ReadModelSql } from './readModelSql.js';
import type { ProgressRecord, RecordedStatus, StatusRow, WaitingRecord, WakeKind } from './statusReadModel.js';

export type WorkflowStatusValue = RecordedStatus | 'blocked';
export const WORKFLOW_STATUSES = ['running', 'waiting', 'completed', 'failed', 'cancelled', 'blocked'] as const satisfies readonly WorkflowStatusValue[];

/** One workflow's row of the status read model, decoded: what `ecl status` and `GET /v1/workflows` show. */
export interface WorkflowStatusRow {
  workflowId: string;
  tenant: string | null;
  definition: string;
  version: number;
  status: WorkflowStatusValue;
  /** The machine's state value after the last event. */
  state: JsonValue | null;
  currentStep: string | null;
  /** Latest iteration seen per step. */
  iterations: Record<string, number>;
  /** Revision of the last applied event of the stream. */
  revision: number;
  createdAt: string;
  updatedAt: string;
  output: JsonValue | null;
  artifact: JsonValue | null;
  error: JsonValue | null;
  reason: string | null;
  /** Set on a child workflow: the workflow, step and call that started it. */
  parent?: { workflowId: string; step: string; call: string };
  /**
   * The commands it accepts now, as the engine's view lists them: the signal it waits for first,
   * then the commands (`CANCEL` while running); none once finished or blocked.
   */
  accepts: string[];
  /** While `waiting`: what for — a loop's cap, the budget, an approval gate, or a signal (with its name and timeout). */
  waitingFor?: { step: string; kind: WaitingRecord['kind']; signal?: string; timeoutAt?: string };
  /** While running: when a sleeping step (`wakeReason` `sleep`) or a failed attempt's retry (`retry`) wakes the workflow (ISO). */
  wakeAt?: string;
  wakeReason?: WakeKind;
  /** The workflow's deadline, when its policies set one: by `at` (ISO) it must be finished, else `onPass`. */
  deadline?: { at: string; onPass: 'fail' | 'cancel' };
  /** While running a fan-out (`ctx.map`, `ctx.parallel`): its step and name, and how many of its items have an outcome. */
  progress?: { step: string; fanOut: string; done: number; of: number };
}

/** Whether the engine can still run (definition, version); without it nothing shows as blocked. */
export type IsRegistered = (definition: string, version: number) => boolean;

const parse = (text: string | null): JsonValue | null => (text === null ? null : (JSON.parse(text) as JsonValue));

export const blockedReason = (definition: string, version: number): string =>
  `definition ${definition} version ${version} is not registered: the workflow cannot resume until the module that exports it is loaded (--workflows <module>, "workflows" in ecl.config.json or ECL_WORKFLOWS)`;

export function toWorkflowStatusRow(row: StatusRow & { effective_status?: string }): WorkflowStatusRow {
  const status = (row.effective_status ?? row.status) as WorkflowStatusValue;
  return {
    workflowId: row.workflow_id,
    tenant: row.tenant,
    definition: row.definition,
    version: row.version,
    status,
    state: parse(row.state),
    currentStep: row.current_step,
    iterations: JSON.parse(row.iterations) as Record<string, number>,
    revision: row.revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    output: parse(row.output),
    artifact: parse(row.artifact),
    error: parse(row.error),
    reason: status === 'blocked' ? blockedReason(row.definition, row.version) : row.reason,
    ...(row.parent === null || row.parent === undefined ? {} : { parent: JSON.parse(row.parent) as { workflowId: string; step: string; call: string } }),
    ...liveFields(row, status),
  };
}

/** What it waits for, when it wakes, what it accepts: only while it can still move. */
function liveFields(
  row: StatusRow,
  status: WorkflowStatusValue,
): Pick<WorkflowStatusRow, 'accepts' | 'waitingFor' | 'wakeAt' | 'wakeReason' | 'deadline' | 'progress'> {
  const deadline =
    row.deadline === null || row.deadline === undefined ? {} : { deadline: JSON.parse(row.deadline) as { at: string; onPass: 'fail' | 'cancel' } };
  if (status === 'running') {
    const wake =
      row.wake_at === null || row.wake_at === undefined ? {} : { wakeAt: row.wake_at, ...(row.wake_kind === null ? {} : { wakeReason: row.wake_kind }) };
    return { accepts: ['CANCEL'], ...wake, ...deadline, ...progressOf(row) };
  }
  if (status === 'waiting' && row.waiting_for !== null && row.waiting_for !== undefined) {
    const { accepts, ...waitingFor } = JSON.parse(row.waiting_for) as WaitingRecord;
    return { accepts, waitingFor, ...deadline };
  }
  return { accepts: [], ...(status === 'blocked' ? deadline : {}) };
}

const progressOf = (row: StatusRow): Pick<WorkflowStatusRow, 'progress'> => {
  if (row.progress === null || row.progress === undefined) return {};
  const { step, counts, last } = JSON.parse(row.progress) as ProgressRecord;
  const [done, of] = counts[last] ?? [0, 0];
  return { progress: { step, fanOut: last, done, of } };
};

/**
 * The status as users see it: a live workflow whose (definition, version) is not registered is
 * `blocked`. Computed per read because registrations change without any event: for one row here,
 * for a filtered list in SQL (`effectiveStatusSql`, the same rule).
 */
export const effectiveStatusOf = (row: Pick<StatusRow, 'status' | 'definition' | 'version'>, isRegistered: IsRegistered | undefined): string =>
  isRegistered !== undefined && (row.status === 'running' || row.status === 'waiting') && !isRegistered(row.definition, row.version) ? 'blocked' : row.status;

/** The SQL of `effectiveStatusOf`, for queries that filter or count by status (SQLite and PostgreSQL alike). */
export async function effectiveStatusSql(sql: ReadModelSql, isRegistered: IsRegistered | undefined): Promise<{ sql: string; params: (string | number)[] }> {
  if (isRegistered === undefined) return { sql: 'status', params: [] };
  const live = await sql.all<{ definition: string; version: number }>(
    "SELECT DISTINCT definition, version FROM workflow_status WHERE status IN ('running', 'waiting')",
  );
  const unregistered = live.filter(({ definition, version }) => !isRegistered(definition, version));
  if (unregistered.length === 0) return { sql: 'status', params: [] };
  return {
    sql: `CASE WHEN status IN ('running', 'waiting') AND (${unregistered.map(() => '(definition = ? AND version = ?)').join(' OR ')}) THEN 'blocked' ELSE status END`,
    params: unregistered.flatMap(({ definition, version }) => [definition, version]),
  };
}
