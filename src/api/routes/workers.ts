import type { FastifyInstance } from 'fastify';
import { describeCluster } from '../../cluster/index.js';
import type { ApiContext } from '../context.js';

/** GET /v1/workers: the processes sharing the store, their partition leases and their lag (docs/scaling.md). */
export function registerWorkerRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/workers', async () => {
    const leases = ctx.store.leases;
    if (leases === undefined) return { partitions: 0, workers: [], unowned: [] };
    return describeCluster(leases, Date.now(), ctx.config.leaseTtlMs);
  });
}
