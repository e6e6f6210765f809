import { afterEach, expect, it } from 'vitest';
import { createWorkerProbe, type WorkerProbe } from '../../src/api/index.js';
import type { ClusterNode, ClusterNodeSummary } from '../../src/cluster/index.js';

const probes: WorkerProbe[] = [];
afterEach(async () => {
  for (const probe of probes.splice(0)) await probe.close();
});

/** A probe for a node whose summary the test sets. */
async function probeOf(summary: Partial<ClusterNodeSummary>) {
  const node = {
    summary: (): ClusterNodeSummary => ({
      id: 'w-1',
      role: 'worker',
      partitions: 64,
      held: [1, 2],
      resumed: 0,
      waiting: 0,
      lastHeartbeatAt: new Date().toISOString(),
      leaseTtlMs: 4_000,
      ...summary,
    }),
  } as unknown as ClusterNode;
  const probe = createWorkerProbe();
  probes.push(probe);
  const url = await probe.listen({ host: '127.0.0.1', port: 0 });
  probe.attach(node, 'memory:');
  const health = async () => {
    const response = await fetch(`${url}/healthz`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { probe, url, health };
}

it('/healthz is 503 starting until the worker has joined; meanwhile it holds no partition and has no heartbeat', async () => {
  const probe = createWorkerProbe();
  probes.push(probe);
  const url = await probe.listen({ host: '127.0.0.1', port: 0 });
  const response = await fetch(`${url}/healthz`);
  expect(response.status).toBe(503);
  expect(await response.json()).toMatchObject({ status: 'starting' });
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(/\necl_worker_partitions_held 0\n/);
  expect(metrics).toMatch(/\necl_worker_heartbeat_age_seconds -1\n/);
});

it('/healthz is 200 while the heartbeats reach the store, 503 stale once the last one is older than the lease TTL, 503 shutting_down once stopping', async () => {
  const live = await probeOf({});
  expect(await live.health()).toMatchObject({ status: 200, body: { status: 'ok', worker: 'w-1', partitions: { held: 2, of: 64 }, store: 'memory:' } });
  live.probe.stopping();
  expect(await live.health()).toMatchObject({ status: 503, body: { status: 'shutting_down' } });

  const stale = await probeOf({ lastHeartbeatAt: new Date(Date.now() - 5_000).toISOString() });
  expect(await stale.health()).toMatchObject({ status: 503, body: { status: 'stale', leaseTtlMs: 4_000 } });
  const never = await probeOf({ lastHeartbeatAt: undefined });
  expect(await never.health()).toMatchObject({ status: 503, body: { status: 'stale', lastHeartbeatAt: null } });
  const metrics = await (await fetch(`${never.url}/metrics`)).text();
  expect(metrics).toMatch(/\necl_worker_heartbeat_age_seconds -1\n/);
  expect(metrics).toMatch(/\necl_worker_partitions_held 2\n/);
});
