import type { JsonValue } from '../eventstore/index.js';
import type { ProjectionQueries, ProjectionRunner, WorkflowStatusValue } from '../projections/index.js';
import type { ApiQueries, WorkflowStatusView } from './ports.js';

export interface ProjectionsForApi {
  runner: Pick<ProjectionRunner, 'lag' | 'waitFor'>;
  queries: ProjectionQueries;
}

/** The API's read side over the projections' runner and queries. */
export function createQueriesPort({ runner, queries }: ProjectionsForApi): ApiQueries {
  return {
    getStatus: async (workflowId) => (await queries.getStatus(workflowId)) as WorkflowStatusView | undefined,
    async list({ tenant, status, definition, parent, limit, cursor }) {
      // The cursor was checked at the edge (ListWorkflowsQuery): a canonical position.
      const page = await queries.listWorkflows({ status: status as WorkflowStatusValue | undefined, definition, tenant, parent, limit, cursor });
      return { items: page.items as unknown as WorkflowStatusView[], nextCursor: page.nextCursor ?? null };
    },
    getAudit: async (workflowId) => (await queries.getAudit(workflowId)) as unknown as JsonValue[],
    getDescendants: (workflowId) => queries.getDescendants(workflowId),
    metricsSummary: async (tenant) => (await queries.metricsSummary(tenant === undefined ? {} : { tenant })) as unknown as JsonValue,
    countsByStatus: async () => (await queries.metricsSummary()).workflows.byStatus,
    modelTotals: async () => (await queries.metricsSummary()).usage.total,
    async lag() {
      const lag = await runner.lag();
      return { positions: Number(lag.positions), checkpoint: lag.checkpoint?.toString() ?? null, head: lag.head?.toString() ?? null };
    },
    head: async () => (await runner.lag()).head,
    waitFor: (position, timeoutMs) => runner.waitFor(position, { timeoutMs }),
  };
}
