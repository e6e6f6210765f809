import type { JsonValue } from '../eventstore/index.js';
import type { ProjectionDatabase } from './projectionDatabase.js';
import type { RecordedStatus, StatusRow } from './statusReadModel.js';

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
  };
}

/**
 * SQL for the status as users see it: a live workflow whose (definition, version) is not
 * registered is `blocked`. Computed per query because registrations change without any event.
 */
export function effectiveStatusSql(db: ProjectionDatabase, isRegistered: IsRegistered | undefined): { sql: string; params: string[] } {
  if (isRegistered === undefined) return { sql: 'status', params: [] };
  const live = db
    .prepare<[], { definition: string; version: number }>("SELECT DISTINCT definition, version FROM workflow_status WHERE status IN ('running', 'waiting')")
    .all();
  const unregistered = live
    .filter(({ definition, version }) => !isRegistered(definition, version))
    .map(({ definition, version }) => `${definition}\u0000${version}`);
  if (unregistered.length === 0) return { sql: 'status', params: [] };
  return {
    sql: `CASE WHEN status IN ('running', 'waiting') AND (definition || char(0) || version) IN (${unregistered.map(() => '?').join(', ')}) THEN 'blocked' ELSE status END`,
    params: unregistered,
  };
}
