import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openEventStore, workflowStream, type EventStore } from '../../src/eventstore/index.js';
import { killChildren, tempFolder } from '../cli/cliHarness.js';
import { startFakeKurrentDbServer, type FakeKurrentDbServer } from '../kurrentdb/support/fakeKurrentDbServer.js';
import {
  chaosSeed,
  randomNodeRequester,
  seededRandom,
  serveOnStore,
  sleep,
  stepsRunAgain,
  streamViolations,
  verifyReplays,
  type AckedCommand,
  type ChaosNode,
  type ScriptCall,
} from './support/chaosCampaign.js';
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

const startBody = (id: string, index: number) =>
  index % 3 === 2
    ? { definition: 'serial3', input: { label: id }, id }
    : {
        definition: 'brief',
        input: {
          instructions: `Summarise pilot ${index}.`,
          documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent.' }],
          approval: true,
        },
        id,
      };

it(`three workers on one KurrentDB (gRPC test server), SIGKILLed and restarted at random: every workflow completes once (seed ${seed})`, async () => {
  const began = Date.now();
  const next = seededRandom(seed);
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  const server: FakeKurrentDbServer = await startFakeKurrentDbServer();
  cleanups.push(() => server.close());
  const script = join(dir, 'script.json');
  const calls = join(dir, 'calls.jsonl');
  // Every draft takes a while, so kills land in the middle of model calls; the rest is the offline model.
  writeFileSync(script, JSON.stringify({ steps: { draft: [{ text: 'A short draft of the brief.', holdMs: 300 }] }, fallback: 'offline' }));
  const serve = (slot: number) =>
    serveOnStore({ dir, store: server.url, script, calls, projections: join(dir, `node-${slot}.projections.db`), env: { ECL_LEASE_TTL_MS: String(TTL_MS) } });
  const nodes: ChaosNode[] = await Promise.all([0, 1, 2].map(serve));
  const up = [true, true, true];
  const failedTries: Record<string, number> = {};
  const request = randomNodeRequester(nodes, next, 300, (why) => (failedTries[why] = (failedTries[why] ?? 0) + 1));

  const violations: string[] = [];
  const ids = Array.from({ length: WORKFLOWS }, (_, index) => `kdb-chaos-${index}`);
  const stored = (id: string) => `acme:${id}`;
  const startsAcked = new Set<string>();
  const commandsAcked = new Map<string, AckedCommand[]>();
  const store: EventStore = await openEventStore(server.url);
  const lastOf = async (id: string) => (await store.readStream(workflowStream(stored(id)), { direction: 'backwards', limit: 1 }))[0];
  let kills = 0;
  let startsRetried = 0;

  try {
    let restartError: unknown;
    const chaos = (async () => {
      const restarts: Promise<void>[] = [];
      while (kills < KILLS && restartError === undefined) {
        await sleep(KILL_EVERY_MS[0] + next() * (KILL_EVERY_MS[1] - KILL_EVERY_MS[0]));
        // One node at least keeps serving: with two down, wait for one to be back.
        while ([0, 1, 2].filter((slot) => up[slot]).length < 2 && restartError === undefined) await sleep(50);
        const live = [0, 1, 2].filter((slot) => up[slot]);
        const slot = live[Math.floor(next() * live.length)]!;
        up[slot] = false;
        process.kill(nodes[slot]!.child.pid as number, 'SIGKILL');
        kills++;
        restarts.push(
          (async () => {
            await nodes[slot]!.done;
            nodes[slot] = await serve(slot);
            up[slot] = true;
          })().catch((error: unknown) => void (restartError ??= error)),
        );
      }
      await Promise.all(restarts);
    })();

    // A start whose node lost the workflow's lease while recording it is answered 409
    // CONCURRENT_UPDATE, "try again", with nothing written: a client tries again, as here.
    const startOnce = async (id: string, index: number) => {
      for (let tries = 1; ; tries++) {
        const answer = await request('POST', '/v1/workflows', startBody(id, index));
        if (answer.status !== 409 || answer.body?.code !== 'CONCURRENT_UPDATE' || tries === 5) return answer;
        startsRetried++;
        await sleep(200);
      }
    };
    const starting = (async () => {
      const pending: Promise<void>[] = [];
      for (const [index, id] of ids.entries()) {
        pending.push(
          startOnce(id, index).then(
            (answer) => {
              if (answer.status === 200 || answer.status === 201) startsAcked.add(id);
              else violations.push(`${id}: start answered ${answer.status} ${JSON.stringify(answer.body)}`);
            },
            (error: unknown) => void violations.push(`${id}: its start was answered by no node (${String(error)})`),
          ),
        );
        await sleep((START_SPREAD_MS / WORKFLOWS) * 2 * next());
      }
      await Promise.all(pending);
    })();

    // At each approval gate, through a random node: the first time, a revision about a third of
    // the time, else an approval; a gate still waiting 3 s after its command is sent again.
    const sentAt = new Map<string, number>();
    const revisionAsked = new Set<string>();
    const commanding: Promise<void>[] = [];
    const command = async (id: string, type: AckedCommand['type']) => {
      const body = type === 'APPROVE' ? { type } : { type, data: { feedback: 'Put the adoption figure in the first sentence.' } };
      const answer = await request('POST', `/v1/workflows/${id}/events`, body).catch(() => undefined);
      if (answer?.status === 202) commandsAcked.set(id, [...(commandsAcked.get(id) ?? []), { type, revision: answer.body.revision as number }]);
      else if (answer !== undefined && answer.status !== 409) violations.push(`${id}: ${type} answered ${answer.status} ${JSON.stringify(answer.body)}`);
    };
    let settledInputs = false;
    void Promise.all([chaos, starting]).then(() => (settledInputs = true));
    const deadline = Date.now() + 150_000;
    for (;;) {
      const open: string[] = [];
      for (const id of ids) {
        const last = await lastOf(id);
        if (last?.type === 'WorkflowCompleted') continue;
        open.push(id);
        if (last?.type !== 'HumanInputRequested') continue;
        const gate = `${id}@${last.revision}`;
        if (Date.now() - (sentAt.get(gate) ?? 0) < 3_000) continue;
        sentAt.set(gate, Date.now());
        const type = !revisionAsked.has(id) && next() < 0.35 ? 'REQUEST_REVISION' : 'APPROVE';
        revisionAsked.add(id);
        commanding.push(command(id, type));
      }
      if (settledInputs && open.length === 0) break;
      if (Date.now() > deadline || restartError !== undefined) {
        violations.push(
          `not finished after ${Math.round((Date.now() - began) / 1_000)} s (${kills} kills, ${open.length} open: ${open.slice(0, 5).join(', ')})`,
        );
        if (restartError !== undefined) violations.push(`a restart failed: ${String(restartError)}`);
        break;
      }
      await sleep(200);
    }
    await Promise.all([chaos, starting, ...commanding]);
    const campaignMs = Date.now() - began;

    const seen = readCalls(calls) as ScriptCall[];
    let reruns = 0;
    for (const id of ids) {
      const records = await store.readStream(workflowStream(stored(id)));
      const context = {
        startAcknowledged: startsAcked.has(id),
        commands: commandsAcked.get(id) ?? [],
        calls: seen.filter((call) => call.workflowId === stored(id)),
      };
      violations.push(...streamViolations(id, records, context));
      reruns += stepsRunAgain(records);
    }
    // The workers shared the KurrentDB lease table: every partition held, each by a live worker.
    const table = await store.leases!.read();
    const live = new Set(table.workers.filter((worker) => worker.lastSeen > Date.now() - 2 * TTL_MS).map((worker) => worker.id));
    if (table.partitions !== 64 || table.leases.length !== 64 || table.leases.some((lease) => lease.owner === null || !live.has(lease.owner)))
      violations.push(`lease table: ${JSON.stringify({ partitions: table.partitions, owners: table.leases.map((lease) => lease.owner), live: [...live] })}`);
    for (const node of nodes) process.kill(node.child.pid as number, 'SIGTERM');
    await Promise.all(nodes.map((node) => node.done));
    // The audit trail replays: every workflow's fold reproduces its recorded decisions.
    violations.push(...(await verifyReplays(ids.map(stored), server.url, dir, 3)).map((failure) => `ecl replay --verify ${failure.slice(0, 600)}`));
    const commands = [...commandsAcked.values()].reduce((sum, acked) => sum + acked.length, 0);
    console.log(
      `kurrentdb cluster chaos: ${JSON.stringify({ seed, kills, workflows: WORKFLOWS, starts: startsAcked.size, startsRetried, commands, modelCalls: seen.length, stepsRunAgain: reruns, failedTries, campaignMs, wallMs: Date.now() - began })}`,
    );
    expect(violations.slice(0, 40)).toEqual([]);
    expect(kills).toBe(KILLS);
  } finally {
    await store.close();
    for (const node of nodes) {
      try {
        process.kill(node.child.pid as number, 'SIGTERM');
      } catch {
        /* already ended */
      }
    }
    await Promise.all(nodes.map((node) => node.done));
  }
}, 280_000);
