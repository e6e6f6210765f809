import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openEventStore, workflowStream, type EventStore } from '../../src/eventstore/index.js';
import { killChildren, tempFolder } from '../cli/cliHarness.js';
import { chaosSeed, completedSteps, randomNodeRequester, seededRandom, stepsRunAgain, verifyReplays } from './support/chaosCampaign.js';
import { readCalls, serveOn } from './support/processes.js';

// Issue 15's small chaos campaign: three `ecl serve` on one SQLite file, workflows started and
// approved through random nodes while nodes are SIGKILLed and restarted.

const cleanups: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const WORKFLOWS = 50;
const KILLS = 4;
const seed = chaosSeed();

const input = (index: number) => ({
  instructions: `Summarise pilot ${index}.`,
  documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent.' }],
  approval: true,
});

it(`three workers on one SQLite file, SIGKILLed and restarted at random: every workflow completes once (seed ${seed})`, async () => {
  const next = seededRandom(seed);
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  const script = join(dir, 'script.json');
  const calls = join(dir, 'calls.jsonl');
  // Every draft takes a while, so kills land in the middle of model calls.
  writeFileSync(script, JSON.stringify({ steps: { draft: [{ text: 'A short draft of the brief.', holdMs: 400 }] }, fallback: 'offline' }));
  const env = { ECL_LEASE_TTL_MS: '1000' };
  const nodes = await Promise.all([0, 1, 2].map(() => serveOn(dir, script, calls, env)));
  /** A request to a random node; a node that dies mid-request is simply another try on another node. */
  const request = randomNodeRequester(nodes, next);

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
      const completed = completedSteps(records);
      expect(completed.length - new Set(completed).size, `${id}: a (step, iteration) completed twice`).toBe(0);
      reruns += stepsRunAgain(records);
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
  const failures = await verifyReplays(
    ids.map((id) => `acme:${id}`),
    `sqlite:${join(dir, 'ecl.db')}`,
    dir,
    6,
  );
  expect(failures).toEqual([]);
}, 300_000);
