import type { EventStore } from '../eventstore/index.js';
import type { AuditEntry, DescendantUsage, ProjectionDatabase, ProjectionRunner, WorkflowStatusRow } from '../projections/index.js';

/**
 * A workflow's read side as `ecl status` and `ecl audit` read it: its status row (what
 * `GET /v1/workflows/:id` answers, with a failed workflow's `error` code), its audit entries, its
 * child workflows' usage, and the printed lines.
 */
export interface TestAudit {
  /** The status read model's row; undefined for an id never started. */
  status: WorkflowStatusRow | undefined;
  entries: AuditEntry[];
  descendants: DescendantUsage[];
  /** `ecl audit <id>`'s lines. */
  timeline: string[];
}

/** The read models in memory over `store`, caught up with it at each call; loaded (SQLite) only when first asked. */
export function createTestAudit(store: EventStore): { audit(workflowId: string): Promise<TestAudit>; close(): void } {
  let opened: { db: ProjectionDatabase; runner: ProjectionRunner } | undefined;
  return {
    async audit(workflowId) {
      const { createProjectionQueries, createProjectionRunner, formatAuditTimeline, openProjectionDatabase } = await import('../projections/index.js');
      if (opened === undefined) {
        const db = openProjectionDatabase(':memory:');
        opened = { db, runner: createProjectionRunner({ store, db }) };
      }
      await opened.runner.catchUp();
      const queries = createProjectionQueries(opened.db);
      const [status, entries, descendants] = await Promise.all([
        queries.getStatus(workflowId),
        queries.getAudit(workflowId),
        queries.getDescendants(workflowId),
      ]);
      return { status, entries, descendants, timeline: formatAuditTimeline(workflowId, entries, descendants) };
    },
    close() {
      opened?.db.close();
    },
  };
}
