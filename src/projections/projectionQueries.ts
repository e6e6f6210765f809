import { AUDIT_SELECT } from './auditReadModel.js';
import type { AuditEntry } from './auditEntry.js';
import { metricsSummary, type MetricsSummary, type MetricsSummaryOptions } from './metricsQueries.js';
import type { ProjectionDatabase } from './projectionDatabase.js';
import type { StatusRow } from './statusReadModel.js';
import {
  effectiveStatusOf,
  effectiveStatusSql,
  toWorkflowStatusRow,
  type IsRegistered,
  type WorkflowStatusRow,
  type WorkflowStatusValue,
} from './statusQueries.js';

export interface ListWorkflowsOptions {
  status?: WorkflowStatusValue;
  definition?: string;
  tenant?: string;
  /** At most this many (default 50, at most 1000). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface WorkflowPage {
  items: WorkflowStatusRow[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

export interface ProjectionQueries {
  getStatus(workflowId: string): WorkflowStatusRow | undefined;
  /** Newest first. */
  listWorkflows(options?: ListWorkflowsOptions): WorkflowPage;
  /** Every recorded event of the workflow as a readable entry, in revision order. */
  getAudit(workflowId: string): AuditEntry[];
  metricsSummary(options?: MetricsSummaryOptions): MetricsSummary;
}

export interface ProjectionQueriesOptions {
  isRegistered?: IsRegistered;
}

export function createProjectionQueries(db: ProjectionDatabase, options: ProjectionQueriesOptions = {}): ProjectionQueries {
  const { isRegistered } = options;
  const audit = db.prepare<[string], AuditEntry>(`SELECT ${AUDIT_SELECT} FROM audit_entries WHERE workflow_id = ? ORDER BY revision`);
  const status = db.prepare<[string], StatusRow>('SELECT * FROM workflow_status WHERE workflow_id = ?');
  return {
    getStatus(workflowId) {
      const row = status.get(workflowId);
      return row === undefined ? undefined : toWorkflowStatusRow({ ...row, effective_status: effectiveStatusOf(row, isRegistered) });
    },
    listWorkflows({ status: wanted, definition, tenant, limit = 50, cursor } = {}) {
      const status = effectiveStatusSql(db, isRegistered);
      const where: string[] = [];
      const params: (string | number)[] = [...status.params];
      if (wanted !== undefined) {
        where.push(`${status.sql} = ?`);
        params.push(...status.params, wanted);
      }
      const filter = (clause: string, value: string | number) => {
        where.push(clause);
        params.push(value);
      };
      if (definition !== undefined) filter('definition = ?', definition);
      if (tenant !== undefined) filter('tenant = ?', tenant);
      if (cursor !== undefined) filter('started_position < ?', Number(cursor));
      const size = Math.min(Math.max(1, Math.floor(limit)), 1000);
      const rows = db
        .prepare<(string | number)[], StatusRow & { effective_status: string }>(
          `SELECT *, ${status.sql} AS effective_status FROM workflow_status ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_position DESC LIMIT ?`,
        )
        .all(...params, size + 1);
      const items = rows.slice(0, size).map(toWorkflowStatusRow);
      const last = rows.length > size ? rows[size - 1] : undefined;
      return last === undefined ? { items } : { items, nextCursor: String(last.started_position) };
    },
    getAudit: (workflowId) => audit.all(workflowId),
    metricsSummary: (summaryOptions) => metricsSummary(db, isRegistered, summaryOptions),
  };
}
