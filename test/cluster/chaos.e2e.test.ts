import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openEventStore, workflowStream, type EventStore } from '../../src/eventstore/index.js';
import { killChildren, runEcl, tempFolder } from '../cli/cliHarness.js';
import { KEY, readCalls, serveOn } from './support/processes.js';

// Issue 15's small chaos campaign: three `ecl serve` on one SQLite file, workflows started and
// approved through random nodes while nodes are SIGKILLed and restarted.

const cleanups: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const WORKFLOWS = 50;
const KILLS = 4;
const seed = Number(process.env.ECL_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: the campaign repeats exactly with the same seed. */
function random(state: number) {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const input = (index: number) => ({
  instructions: `Summarise pilot ${index}.`,
  documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent.' }],
  approval: true,
});

it(`three workers on one SQLite file, SIGKILLed and restarted at random: every workflow completes once (seed ${seed})`, async () => {
  const next = random(seed);
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  const script = join(dir, 'script.json');
  const calls = join(dir, 'calls.jsonl');
  // Every draft takes a while, so kills land in the middle of model calls.
  writeFileSync(script, JSON.stringify({ steps: { draft: [{ text: 'A short draft of the brief.', holdMs: 400 }] }, fallback: 'offline' }));
  const env = { ECL_LEASE_TTL_MS: '1000' };
  const nodes = await Promise.all([0, 1, 2].map(() => serveOn(dir, script, calls, env)));
  const pick = () => nodes[Math.floor(next() * nodes.length)]!;
  /** A request to a random node; a node that dies mid-request is simply another try on another node. */
  const request = async (method: string, path: string, body?: unknown): Promise<number> => {
    for (let tries = 0; tries < 50; tries++) {
      try {
        const response = await fetch(pick().url + path, {
          method,
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        if (response.status < 500) return response.status;
      } catch {
        /* the node died: try another */
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${method} ${path} failed on every node`);
  };

  const ids = Array.from({ length: WORKFLOWS }, (_, index) => `chaos-${index}`);
  const store: EventStore = await openEventStore(`sqlite:${join(dir, 'ecl.db')}`);
  try {
    const lastOf = async (id: string) => (await store.readStream(workflowStream(`acme:${id}`), { direction: 'backwards', limit: 1 }))[0];
    let kills = 0;
    await Promise.all(ids.map((id, index) => request('POST', '/v1/workflows', { definition: 'brief', input: input(index), id })));
    // The first kill comes while the drafts are running; the others at random moments after.
    const chaos = (async () => {
      while (kills < KILLS) {
        await new Promise((resolve) => setTimeout(resolve, kills === 0 ? 200 + next() * 400 : 800 + next() * 1_200));
        const index = Math.floor(next() * nodes.length);
        process.kill(nodes[index]!.child.pid as number, 'SIGKILL');
        await nodes[index]!.done;
        kills++;
        nodes[index] = await serveOn(dir, script, calls, env);
      }
    })();
    const deadline = Date.now() + 150_000;
    const approved = new Set<string>();
    for (;;) {
      const open = [];
      for (const id of ids) {
        const last = await lastOf(id);
        if (last?.type === 'WorkflowCompleted') continue;
        open.push(id);
        // Waiting at the gate: approved through a random node (a repeat after a kill is refused as not allowed, harmlessly).
        if (last?.type === 'HumanInputRequested' && !approved.has(`${id}@${last.revision}`)) {
          approved.add(`${id}@${last.revision}`);
          await request('POST', `/v1/workflows/${id}/events`, { type: 'APPROVE' });
        }
      }
      if (open.length === 0 && kills >= KILLS) break;
      if (Date.now() > deadline) throw new Error(`Not finished: ${open.slice(0, 5).join(', ')}… (${open.length})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await chaos;

    const seen = readCalls(calls) as unknown as { workflowId: string; step: string; iteration: number; attempt: number }[];
    const callKeys = seen.map((call) => `${call.workflowId}/${call.step}/${call.iteration}#${call.attempt}`);
    // No attempt's model call made twice; interrupted ones run again only as a new attempt.
    expect(callKeys.length - new Set(callKeys).size).toBe(0);
    let reruns = 0;
    for (const id of ids) {
      const records = await store.readStream(workflowStream(`acme:${id}`));
      expect(records.at(-1)?.type).toBe('WorkflowCompleted');
      const completed = records
        .filter((record) => record.type === 'StepCompleted')
        .map((record) => `${(record.data as { step: string }).step}/${(record.data as { iteration: number }).iteration}`);
      expect(completed.length - new Set(completed).size, `${id}: a (step, iteration) completed twice`).toBe(0);
      reruns += records.filter((record) => record.type === 'StepStarted' && (record.data as { attempt: number }).attempt > 1).length;
      // Every step the model was called for ended with one recorded outcome.
      const stepsCalled = new Set(seen.filter((call) => call.workflowId === `acme:${id}`).map((call) => `${call.step}/${call.iteration}`));
      expect([...stepsCalled].filter((key) => !completed.includes(key))).toEqual([]);
    }
    console.log(`cluster chaos (seed ${seed}): ${WORKFLOWS} workflows, ${kills} SIGKILLs, ${seen.length} model calls, ${reruns} steps run again after a kill`);
  } finally {
    await store.close();
  }
  for (const node of nodes) process.kill(node.child.pid as number, 'SIGTERM');
  await Promise.all(nodes.map((node) => node.done));

  // The audit trail replays: every workflow's fold reproduces its recorded decisions.
  const verify = [...ids];
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let id = verify.shift(); id !== undefined; id = verify.shift()) {
        const replayed = await runEcl(['replay', `acme:${id}`, '--verify', '--store', `sqlite:${join(dir, 'ecl.db')}`], { cwd: dir });
        if (replayed.code !== 0) failures.push(`${id}: ${replayed.stderr}${replayed.stdout.slice(-300)}`);
      }
    }),
  );
  expect(failures).toEqual([]);
}, 300_000);
