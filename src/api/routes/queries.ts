import type { FastifyInstance } from 'fastify';
import { principalOf, readYourWrites, type ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { GetWorkflowQuery, ListWorkflowsQuery, WorkflowIdParams } from '../schemas.js';
import { externalize, scopeOf, type TenantScope } from '../tenancy.js';
import { parseOr } from '../validate.js';

/** Reads from the projections, scoped to the caller's tenant, once they include everything committed before the read. */
export function registerQueryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/workflows', async (request) => {
    const principal = principalOf(request);
    const scope = scopeOf(principal);
    const query = parseOr(ListWorkflowsQuery, request.query, 'INVALID_QUERY', 'Bad query parameters');
    if (query.limit > ctx.config.maxPageSize) {
      throw new ApiError('INVALID_QUERY', 'Bad query parameters', { errors: [{ path: 'limit', message: `at most ${ctx.config.maxPageSize}` }] });
    }
    await readYourWrites(ctx);
    const page = await ctx.queries.list({
      tenant: scope.tenant,
      status: query.status,
      definition: query.definition,
      parent: query.parent === undefined ? undefined : scope.internal(query.parent),
      limit: query.limit,
      cursor: query.cursor,
    });
    return { items: page.items.filter((item) => scope.owns(item.workflowId)).map((item) => externalize(item, scope)), nextCursor: page.nextCursor };
  });

  app.get('/v1/workflows/:id', async (request, reply) => {
    const principal = principalOf(request);
    const scope = scopeOf(principal);
    const { id } = parseOr(WorkflowIdParams, request.params, 'INVALID_ID', 'Bad workflow id');
    const { wait } = parseOr(GetWorkflowQuery, request.query, 'INVALID_QUERY', 'Bad query parameters');
    const workflowId = scope.internal(id);
    await readYourWrites(ctx);
    let status = await ctx.queries.getStatus(workflowId);
    if (status === undefined || !recordedFor(scope, status.tenant)) throw notFound(id);
    // A long poll: answered with the status once the workflow came to rest, else read again when
    // the wait is over. A client that goes away ends the wait.
    if (wait !== undefined && wait > 0 && status.status === 'running') {
      if (reply.raw.destroyed) return reply;
      const gone = new AbortController();
      const onClose = () => reply.raw.writableFinished || gone.abort();
      reply.raw.once('close', onClose);
      try {
        const atRest = await ctx.runtime.untilAtRest(workflowId, wait * 1000, gone.signal);
        if (gone.signal.aborted) return reply;
        if (atRest !== undefined) status = atRest;
        else {
          await readYourWrites(ctx);
          status = (await ctx.queries.getStatus(workflowId)) ?? status;
        }
      } finally {
        reply.raw.off('close', onClose);
      }
    }
    const waitingOnChildren = status.status === 'running' ? await ctx.runtime.waitingOn(workflowId) : undefined;
    return externalize(waitingOnChildren === undefined ? status : { ...status, waitingOnChildren }, scope);
  });

  app.get('/v1/workflows/:id/audit', async (request) => {
    const principal = principalOf(request);
    const scope = scopeOf(principal);
    const { id } = parseOr(WorkflowIdParams, request.params, 'INVALID_ID', 'Bad workflow id');
    const workflowId = scope.internal(id);
    await readYourWrites(ctx);
    const [status, entries, descendants] = await Promise.all([
      ctx.queries.getStatus(workflowId),
      ctx.queries.getAudit(workflowId),
      ctx.queries.getDescendants(workflowId),
    ]);
    if (status === undefined || !recordedFor(scope, status.tenant) || entries === undefined || entries.length === 0) throw notFound(id);
    // A child is started under its parent's tenant; one recorded otherwise is not the caller's to see.
    const own = descendants.filter((descendant) => scope.owns(descendant.workflowId) && recordedFor(scope, descendant.tenant));
    return {
      workflowId: id,
      entries: externalize(entries, scope),
      descendants: externalize(
        own.map(({ tenant: _tenant, ...descendant }) => descendant),
        scope,
      ),
    };
  });

  app.get('/v1/metrics/summary', async (request) => {
    const principal = principalOf(request);
    await readYourWrites(ctx);
    return ctx.queries.metricsSummary(principal.tenant);
  });
}

/**
 * Whether a workflow whose records name `tenant` is the caller's: besides the id prefix, the tenant
 * recorded at its start must be the caller's, so a workflow written to the store under another
 * tenant's prefix by anything but the API is nobody's over the API.
 */
export const recordedFor = (scope: TenantScope, tenant: unknown): boolean => (typeof tenant === 'string' ? tenant : undefined) === scope.tenant;

export const notFound = (id: string): ApiError => new ApiError('WORKFLOW_NOT_FOUND', `No workflow "${id.slice(0, 128)}"`, { workflowId: id.slice(0, 128) });
