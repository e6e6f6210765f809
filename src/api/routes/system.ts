import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { buildOpenApi } from '../openapi.js';
import type { DefinitionInfo } from '../ports.js';
import { collectMetrics } from '../collectMetrics.js';

const VERSION = '1.0.0';

/** Unauthenticated: /healthz, /metrics (aggregates only, no ids) and /openapi.json. */
export function registerSystemRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Rebuilt when the definitions change (`ecl serve --watch`): the event types are theirs.
  let documentFor: readonly DefinitionInfo[] | undefined;
  let document: unknown;
  app.get('/openapi.json', async () => {
    const definitions = ctx.runtime.definitions();
    if (definitions !== documentFor) {
      documentFor = definitions;
      document = buildOpenApi({ version: VERSION, authRequired: ctx.authenticator.required, definitions });
    }
    return document;
  });

  app.get('/healthz', async (_request, reply) => {
    const lag = await ctx.queries.lag().catch(() => ({ positions: -1 }));
    return reply.code(ctx.accepting ? 200 : 503).send({
      status: ctx.accepting ? 'ok' : 'shutting_down',
      uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
      store: ctx.store.description,
      projectionLag: lag.positions,
    });
  });

  collectMetrics(ctx.metrics.registry, ctx);
  app.get('/metrics', async (_request, reply) => reply.type(ctx.metrics.contentType).send(await ctx.metrics.render()));
}
