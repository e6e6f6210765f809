import { afterEach, expect, it } from 'vitest';
import { openEventStore, workflowStream, type EventStore } from '../../src/eventstore/index.js';
import { killChildren, tempFolder } from '../cli/cliHarness.js';
import { startFakeKurrentDbServer, type FakeKurrentDbServer } from '../kurrentdb/support/fakeKurrentDbServer.js';
import { chaosSeed, seededRandom, sleep, storedId, verifyReplays, type ScriptCall } from './support/chaosCampaign.js';
import { killNodesAtRandom, startChaosNodes, stopNodes } from './support/chaosNodes.js';
import { checkEveryStream, startRequest, steerWorkflows, writeChaosScript } from './support/chaosWorkflows.js';
import { readCalls } from './support/processes.js';

// Issue 15's chaos campaign, smaller, on KurrentDB: three `ecl serve` workers on the in-process
// gRPC test server (not a real KurrentDB; leases are its table stream, fences judged by each
// worker's clock — docs/scaling.md), 36 workflows (the offline `brief` with its review loop and an
// approval gate where a person sometimes asks for a revision, and no-op `serial3`) started and
// steered through random nodes while a random worker is SIGKILLed and restarted every 1.5-2.5 s,
// six times (lease TTL 2 s). Then: every workflow completed, no (step, iteration) completed twice,
// no recorded model call made again, every acknowledged start and command in its stream, and
// `ecl replay --verify` passes for every workflow. ECL_CHAOS_SEED repeats a campaign's choices
// (not its timing).

const WORKFLOWS = 36;
const KILLS = 6;
const KILL_EVERY_MS: [number, number] = [1_500, 2_500];
const START_SPREAD_MS = 6_000;
/** Workers fence themselves by their clock here: a heartbeat late by half a TTL stops their appends (docs/scaling.md). */
const TTL_MS = 2_000;
const seed = chaosSeed();

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it(`three workers on one KurrentDB (gRPC test server), SIGKILLed and restarted at random: every workflow completes once (seed ${seed})`, async () => {
  const began = Date.now();
  const next = seededRandom(seed);
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  const server: FakeKurrentDbServer = await startFakeKurrentDbServer();
  cleanups.push(() => server.close());
  const { script, calls } = writeChaosScript(dir);
  const cluster = await startChaosNodes({ dir, store: server.url, script, calls, leaseTtlMs: TTL_MS, next });
  const violations: string[] = [];
  const ids = Array.from({ length: WORKFLOWS }, (_, index) => `kdb-chaos-${index}`);
  const store: EventStore = await openEventStore(server.url);
  const lastOf = async (id: string) => (await store.readStream(workflowStream(storedId(id)), { direction: 'backwards', limit: 1 }))[0];
  let startsRetried = 0;

  try {
    const kills = killNodesAtRandom(cluster, { kills: KILLS, everyMs: KILL_EVERY_MS, next });
    // A start whose node lost the workflow's lease while recording it is answered 409
    // CONCURRENT_UPDATE, "try again", with nothing written: a client tries again, as here.
    const startOnce = async (id: string, index: number) => {
      for (let tries = 1; ; tries++) {
        const answer = await cluster.request('POST', '/v1/workflows', startRequest(id, index));
        if (answer.status !== 409 || answer.body?.code !== 'CONCURRENT_UPDATE' || tries === 5) return answer;
        startsRetried++;
        await sleep(200);
      }
    };
    const acknowledged = await steerWorkflows({
      ids,
      start: startOnce,
      request: cluster.request,
      next,
      spreadMs: START_SPREAD_MS,
      kills,
      lastEvent: lastOf,
      limitMs: 150_000,
      pollMs: 200,
      violations,
    });
    const campaignMs = Date.now() - began;

    const seen = readCalls(calls) as ScriptCall[];
    const reruns = await checkEveryStream({ store, ids, acknowledged, calls: seen, violations });
    // The workers shared the KurrentDB lease table: every partition held, each by a live worker.
    const table = await store.leases!.read();
    const live = new Set(table.workers.filter((worker) => worker.lastSeen > Date.now() - 2 * TTL_MS).map((worker) => worker.id));
    if (table.partitions !== 64 || table.leases.length !== 64 || table.leases.some((lease) => lease.owner === null || !live.has(lease.owner)))
      violations.push(`lease table: ${JSON.stringify({ partitions: table.partitions, owners: table.leases.map((lease) => lease.owner), live: [...live] })}`);
    for (const node of cluster.nodes) process.kill(node.child.pid as number, 'SIGTERM');
    await Promise.all(cluster.nodes.map((node) => node.done));
    // The audit trail replays: every workflow's fold reproduces its recorded decisions.
    violations.push(...(await verifyReplays(ids.map(storedId), server.url, dir, 3)).map((failure) => `ecl replay --verify ${failure.slice(0, 600)}`));
    const commands = [...acknowledged.commands.values()].reduce((sum, acked) => sum + acked.length, 0);
    console.log(
      `kurrentdb cluster chaos: ${JSON.stringify({ seed, kills: kills.count(), workflows: WORKFLOWS, starts: acknowledged.starts.size, startsRetried, commands, modelCalls: seen.length, stepsRunAgain: reruns, failedTries: cluster.failedTries, campaignMs, wallMs: Date.now() - began })}`,
    );
    expect(violations.slice(0, 40)).toEqual([]);
    expect(kills.count()).toBe(KILLS);
  } finally {
    await store.close();
    await stopNodes(cluster.nodes);
  }
}, 280_000);
