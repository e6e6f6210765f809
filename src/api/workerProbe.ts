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
 * and `listen` before the worker opens anything (a port in use is refused before any work starts;
 * /healthz answers 503 `starting` meanwhile); `wrapStore` counts the engine's appends; `attach`
 * once the worker has joined.
 */
export interface WorkerProbe {
  /** The store the engine and the cluster use: appends are timed and counted for /metrics. */
  wrapStore(store: EventStore): EventStore;
  /** Serves GET /healthz and GET /metrics; resolves to the base URL. */
  listen(options: { host: string; port: number }): Promise<string>;
  /** The worker has joined the cluster: /healthz and the `ecl_worker_*` gauges report `node`. */
  attach(node: ClusterNode, store: string): void;
  /** From now on /healthz answers 503 `shutting_down`. */
  stopping(): void;
  close(): Promise<void>;
}

export function createWorkerProbe(): WorkerProbe {
  const metrics = createMetricsRegistry();
  const registers = [metrics.registry];
  const observeAppend = createWorkflowMetrics(metrics.registry);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const startedAt = Date.now();
  let joined: { node: ClusterNode; store: string } | undefined;
  let stopping = false;

  /** Seconds since the node's last heartbeat reached the store; undefined before the first. */
  const heartbeatAge = (node: ClusterNode): number | undefined => {
    const last = node.summary().lastHeartbeatAt;
    return last === undefined ? undefined : (Date.now() - Date.parse(last)) / 1000;
  };
  /** A gauge of the joined node; `before` until it has joined. */
  const workerGauge = (name: string, help: string, value: (node: ClusterNode) => number, before = 0) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(joined === undefined ? before : value(joined.node));
      },
    });
  workerGauge('ecl_worker_partitions_held', 'Partitions whose lease this worker holds', (node) => node.summary().held.length);
  workerGauge('ecl_worker_partitions', 'Partitions of the store, held by all workers together', (node) => node.summary().partitions);
  workerGauge(
    'ecl_worker_heartbeat_age_seconds',
    "Seconds since this worker's last heartbeat reached the store (its leases lapse after the lease TTL); -1 before the first",
    (node) => heartbeatAge(node) ?? -1,
    -1,
  );

  app.get('/healthz', async (_request, reply) => {
    const uptimeSeconds = Math.round((Date.now() - startedAt) / 1000);
    if (joined === undefined) return reply.code(503).send({ status: stopping ? 'shutting_down' : 'starting', uptimeSeconds });
    const summary = joined.node.summary();
    const age = heartbeatAge(joined.node);
    // A worker whose heartbeats stopped reaching the store has lost its leases (or is about to): its share moves to the others.
    const stale = age === undefined || age * 1000 > summary.leaseTtlMs;
    const status = stopping ? 'shutting_down' : stale ? 'stale' : 'ok';
    return reply.code(status === 'ok' ? 200 : 503).send({
      status,
      worker: summary.id,
      partitions: { held: summary.held.length, of: summary.partitions },
      lastHeartbeatAt: summary.lastHeartbeatAt ?? null,
      leaseTtlMs: summary.leaseTtlMs,
      uptimeSeconds,
      store: joined.store,
    });
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));

  return {
    wrapStore(store) {
      const counted = countAppends(store);
      counted.observe(observeAppend);
      registerAppendCounters(metrics.registry, counted.stats);
      return counted.store;
    },
    async listen(options) {
      await app.listen({ host: options.host, port: options.port });
      return baseUrlOf(app.server);
    },
    attach(node, store) {
      joined = { node, store };
    },
    stopping() {
      stopping = true;
    },
    close: () => app.close(),
  };
}
