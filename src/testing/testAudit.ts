import type { EventStore } from '../eventstore/index.js';
import type { AuditEntry, DescendantUsage, ProjectionDatabase, ProjectionRunner } from '../projections/index.js';

/** A workflow's audit trail as `ecl audit` reads it: its entries, its child workflows' usage, and the printed lines. */
export interface TestAudit {
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
      const [entries, descendants] = await Promise.all([queries.getAudit(workflowId), queries.getDescendants(workflowId)]);
      return { entries, descendants, timeline: formatAuditTimeline(workflowId, entries, descendants) };
    },
    close() {
      opened?.db.close();
    },
  };
}
