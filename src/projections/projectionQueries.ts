import { AUDIT_SELECT } from './auditReadModel.js';
import type { AuditEntry } from './auditEntry.js';
import type { DescendantUsage } from './auditUsage.js';
import { descendantsOf } from './descendantQueries.js';
import { metricsSummary, type MetricsSummary, type MetricsSummaryOptions } from './metricsQueries.js';
import type { ProjectionDatabase } from './projectionDatabase.js';
import { sqliteReadModelSql, type ReadModelSql } from './readModelSql.js';
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
  /** Only the child workflows this workflow's steps started. */
  parent?: string;
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

/** The read models' queries, the same on SQLite and PostgreSQL. */
export interface ProjectionQueries {
  getStatus(workflowId: string): Promise<WorkflowStatusRow | undefined>;
  /** Newest first. */
  listWorkflows(options?: ListWorkflowsOptions): Promise<WorkflowPage>;
  /** Every recorded event of the workflow as a readable entry, in revision order. */
  getAudit(workflowId: string): Promise<AuditEntry[]>;
  /**
   * The child workflows the workflow's steps started, theirs, and so on (parents before their
   * children), each with its own model usage counted as its audit counts it.
   */
  getDescendants(workflowId: string): Promise<DescendantUsage[]>;
  metricsSummary(options?: MetricsSummaryOptions): Promise<MetricsSummary>;
}

export interface ProjectionQueriesOptions {
  isRegistered?: IsRegistered;
}

/** Queries over a SQLite read-model file, or over any `ReadModelSql` (PostgreSQL). */
export function createProjectionQueries(source: ProjectionDatabase | ReadModelSql, options: ProjectionQueriesOptions = {}): ProjectionQueries {
  const { isRegistered } = options;
  const sql = 'prepare' in source ? sqliteReadModelSql(source) : source;
  return {
    async getStatus(workflowId) {
      const [row] = await sql.all<StatusRow>('SELECT * FROM workflow_status WHERE workflow_id = ?', [workflowId]);
      return row === undefined ? undefined : toWorkflowStatusRow({ ...row, effective_status: effectiveStatusOf(row, isRegistered) });
    },
    async listWorkflows({ status: wanted, definition, tenant, parent, limit = 50, cursor } = {}) {
      const status = await effectiveStatusSql(sql, isRegistered);
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
      if (parent !== undefined) filter('parent_id = ?', parent);
      if (cursor !== undefined) filter('started_position < ?', Number(cursor));
      const size = Math.min(Math.max(1, Math.floor(limit)), 1000);
      const rows = await sql.all<StatusRow & { effective_status: string }>(
        `SELECT *, ${status.sql} AS effective_status FROM workflow_status ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_position DESC LIMIT ?`,
        [...params, size + 1],
      );
      const items = rows.slice(0, size).map(toWorkflowStatusRow);
      const last = rows.length > size ? rows[size - 1] : undefined;
      return last === undefined ? { items } : { items, nextCursor: String(last.started_position) };
    },
    getAudit: (workflowId) => sql.all<AuditEntry>(`SELECT ${AUDIT_SELECT} FROM audit_entries WHERE workflow_id = ? ORDER BY revision`, [workflowId]),
    getDescendants: (workflowId) => descendantsOf(sql, workflowId),
    metricsSummary: (summaryOptions) => metricsSummary(sql, isRegistered, summaryOptions),
  };
}
