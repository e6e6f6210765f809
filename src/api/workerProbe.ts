import Fastify from 'fastify';
import { Gauge } from 'prom-client';
import type { ClusterNode } from '../cluster/index.js';
import type { EventStore } from '../eventstore/index.js';
import { createMetricsRegistry } from './apiMetrics.js';
import { registerAppendCounters } from './collectMetrics.js';
import { countAppends } from './countAppends.js';
import { baseUrlOf } from './listenApi.js';
import { createWorkflowMetrics } from './workflowMetrics.js';

/**
 * `ecl worker --port`: what an orchestrator and Prometheus ask a worker that has no API. Create it
 * before the engine (`wrapStore` counts its appends), then `listen` once the worker has joined.
 */
export interface WorkerProbe {
  /** The store the engine and the cluster use: appends are timed and counted for /metrics. */
  wrapStore(store: EventStore): EventStore;
  /** Serves GET /healthz and GET /metrics for `node`; resolves to the base URL. */
  listen(node: ClusterNode, options: { host: string; port: number; store: string }): Promise<string>;
  /** From now on /healthz answers 503 `shutting_down`. */
  stopping(): void;
  close(): Promise<void>;
}

export function createWorkerProbe(): WorkerProbe {
  const metrics = createMetricsRegistry();
  const observeAppend = createWorkflowMetrics(metrics.registry);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const startedAt = Date.now();
  let stopping = false;

  return {
    wrapStore(store) {
      const counted = countAppends(store);
      counted.observe(observeAppend);
      registerAppendCounters(metrics.registry, counted.stats);
      return counted.store;
    },

    async listen(node, options) {
      const registers = [metrics.registry];
      const heartbeatAge = () => {
        const last = node.summary().lastHeartbeatAt;
        return last === undefined ? undefined : (Date.now() - Date.parse(last)) / 1000;
      };
      new Gauge({
        name: 'ecl_worker_partitions_held',
        help: 'Partitions whose lease this worker holds',
        registers,
        collect() {
          this.set(node.summary().held.length);
        },
      });
      new Gauge({
        name: 'ecl_worker_partitions',
        help: 'Partitions of the store, held by all workers together',
        registers,
        collect() {
          this.set(node.summary().partitions);
        },
      });
      new Gauge({
        name: 'ecl_worker_heartbeat_age_seconds',
        help: "Seconds since this worker's last heartbeat reached the store (its leases lapse after the lease TTL)",
        registers,
        collect() {
          this.set(heartbeatAge() ?? -1);
        },
      });

      app.get('/healthz', async (_request, reply) => {
        const summary = node.summary();
        const age = heartbeatAge();
        // A worker whose heartbeats stopped reaching the store has lost its leases (or is about to): its share moves to the others.
        const stale = age === undefined || age * 1000 > summary.leaseTtlMs;
        const status = stopping ? 'shutting_down' : stale ? 'stale' : 'ok';
        return reply.code(status === 'ok' ? 200 : 503).send({
          status,
          worker: summary.id,
          partitions: { held: summary.held.length, of: summary.partitions },
          lastHeartbeatAt: summary.lastHeartbeatAt ?? null,
          leaseTtlMs: summary.leaseTtlMs,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
          store: options.store,
        });
      });
      app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));

      await app.listen({ host: options.host, port: options.port });
      return baseUrlOf(app.server);
    },

    stopping() {
      stopping = true;
    },
    close: () => app.close(),
  };
}
