import { AUDIT_SELECT } from './auditReadModel.js';
import type { AuditEntry } from './auditEntry.js';
import { type AuditUsage, type DescendantUsage, auditUsage } from './auditUsage.js';
import type { ReadModelSql } from './readModelSql.js';

/** Bound parameters per statement: well under SQLite's limit (32,766) and PostgreSQL's (65,535). */
const CHUNK = 500;

async function inChunks<T>(ids: readonly string[], query: (ids: string[]) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for (let at = 0; at < ids.length; at += CHUNK) rows.push(...(await query(ids.slice(at, at + CHUNK))));
  return rows;
}

/**
 * The child workflows `workflowId`'s steps started, theirs, and so on, level by level through the
 * status rows' `parent_id` (parents before their children), each with its model usage as its audit counts it.
 */
export async function descendantsOf(sql: ReadModelSql, workflowId: string): Promise<DescendantUsage[]> {
  const found: Omit<DescendantUsage, keyof AuditUsage>[] = [];
  const seen = new Set([workflowId]);
  for (let parents = [workflowId]; parents.length > 0;) {
    const children = await inChunks(parents, (ids) =>
      sql.all<{ workflow_id: string; definition: string; status: string; parent_id: string; tenant: string | null }>(
        `SELECT workflow_id, definition, status, parent_id, tenant FROM workflow_status WHERE parent_id IN (${ids.map(() => '?').join(', ')}) ORDER BY started_position`,
        ids,
      ),
    );
    parents = [];
    for (const child of children) {
      if (seen.has(child.workflow_id)) continue;
      seen.add(child.workflow_id);
      parents.push(child.workflow_id);
      found.push({ workflowId: child.workflow_id, definition: child.definition, status: child.status, parentId: child.parent_id, tenant: child.tenant });
    }
  }
  const entries = await inChunks(
    found.map((descendant) => descendant.workflowId),
    (ids) =>
      sql.all<AuditEntry>(
        `SELECT ${AUDIT_SELECT} FROM audit_entries WHERE workflow_id IN (${ids.map(() => '?').join(', ')}) ORDER BY workflow_id, revision`,
        ids,
      ),
  );
  const byWorkflow = new Map<string, AuditEntry[]>();
  for (const entry of entries) {
    const list = byWorkflow.get(entry.workflowId);
    if (list === undefined) byWorkflow.set(entry.workflowId, [entry]);
    else list.push(entry);
  }
  return found.map((descendant) => ({ ...descendant, ...auditUsage(byWorkflow.get(descendant.workflowId) ?? []) }));
}
