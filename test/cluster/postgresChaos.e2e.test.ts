import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { openEventStore, workflowStream, type EventStore, type RecordedEvent } from '../../src/eventstore/index.js';
import { runReplay } from '../../src/replay/index.js';
import { killChildren, tempFolder } from '../cli/cliHarness.js';
import { createSampleRegistry } from '../support/definitions.js';
import { startTestPostgres, type TestPostgres } from '../support/embeddedPostgres.js';
import { chaosSeed, seededRandom, sleep, storedId, verifyReplay, type ScriptCall } from './support/chaosCampaign.js';
import { killNodesAtRandom, startChaosNodes, stopNodes } from './support/chaosNodes.js';
import { checkEveryStream, startRequest, steerWorkflows, workflowKind, writeChaosScript } from './support/chaosWorkflows.js';
import { readCalls } from './support/processes.js';

// Issue 15's chaos campaign on PostgreSQL: three `ecl serve` workers on one schema of a real
// PostgreSQL 18 (started by the test), a few hundred workflows (the offline `brief` with its review
// loop, an approval gate where a person sometimes asks for a revision, and no-op `serial3`)
// started and steered through random nodes while a random worker is SIGKILLed and restarted
// every 1.5-2 s. Then: every workflow completed, no (step, iteration) completed twice, no recorded
// model call made again, every acknowledged start and command in its stream, `ecl replay
// --verify` passes for every workflow (the command itself for a seeded sample, run as each one
// completes so it overlaps the kills, and the same fold in-process for all). ECL_CHAOS=long: 400
// workflows, 40 kills, the command for every workflow. ECL_CHAOS_SEED repeats a campaign's choices
// (not its timing).

const long = process.env.ECL_CHAOS === 'long';
const WORKFLOWS = long ? 400 : 200;
const KILLS = long ? 40 : 20;
/**
 * Workflows verified by an `ecl replay --verify` process (about 0.75 s of CPU each, so all 200 would
 * take the default form past 90 s on two cores); every workflow is also verified in-process by the
 * same fold (`runReplay` with `verify`, as the command runs it). The long form runs the command for all.
 */
const CLI_REPLAYS = long ? WORKFLOWS : 60;
const KILL_EVERY_MS: [number, number] = [1_500, 2_000];
/** Starts are spread over most of the kills, so workflows start, run and wait throughout. */
const START_SPREAD_MS = KILLS * 1_750 * 0.75;
const seed = chaosSeed();

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const cleanups: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

it(`three workers on one PostgreSQL schema, one SIGKILLed and restarted every 1.5-2 s: every workflow completes once (seed ${seed})`, async () => {
  const began = Date.now();
  const next = seededRandom(seed);
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  const storeUrl = server.schemaUrl('chaos');
  const { script, calls } = writeChaosScript(dir);
  const cluster = await startChaosNodes({ dir, store: storeUrl, script, calls, leaseTtlMs: 1_500, next });
  const violations: string[] = [];
  const ids = Array.from({ length: WORKFLOWS }, (_, index) => `pg-chaos-${index}`);

  // One subscriber follows the whole log: the last event of every stream, and a check that the
  // feed is in strictly increasing position with contiguous revisions per stream.
  const store: EventStore = await openEventStore(storeUrl);
  const last = new Map<string, RecordedEvent>();
  let lastPosition = -1n;
  const feed = store.subscribeToAll().subscribe({
    next: (event) => {
      if (event.position <= lastPosition) violations.push(`feed: position ${event.position} after ${lastPosition}`);
      lastPosition = event.position;
      const before = last.get(event.stream);
      if ((before?.revision ?? -1) + 1 !== event.revision)
        violations.push(`feed: ${event.stream} revision ${event.revision} after ${before?.revision ?? '(none)'}`);
      last.set(event.stream, event);
    },
    error: (error: unknown) => violations.push(`feed failed: ${String(error)}`),
  });

  // `ecl replay --verify` for each sampled workflow as soon as it completes (one process at a time
  // while the kills go on, two after); the revision each completed at is remembered.
  const draw = seededRandom(seed ^ 0x5eed);
  const sampled = new Set(
    ids
      .map((id) => ({ id, key: draw() }))
      .sort((a, b) => a.key - b.key)
      .slice(0, CLI_REPLAYS)
      .map(({ id }) => id),
  );
  const completedAt = new Map<string, number>();
  const replayQueue: string[] = [];
  let replayed = 0;
  let campaignOver = false;
  const replayer = async (whileCampaign: boolean) => {
    for (;;) {
      const id = replayQueue.shift();
      if (id === undefined) {
        if (campaignOver || !whileCampaign) return;
        await sleep(100);
        continue;
      }
      const failure = await verifyReplay(storedId(id), storeUrl, dir);
      if (failure === undefined) replayed++;
      else violations.push(`ecl replay --verify ${failure.slice(0, 600)}`);
    }
  };
  const replaying = [replayer(true)];

  try {
    const kills = killNodesAtRandom(cluster, { kills: KILLS, everyMs: KILL_EVERY_MS, next });
    const acknowledged = await steerWorkflows({
      ids,
      start: (id, index) => cluster.request('POST', '/v1/workflows', startRequest(id, index)),
      request: cluster.request,
      next,
      spreadMs: START_SPREAD_MS,
      kills,
      lastEvent: (id) => last.get(workflowStream(storedId(id))),
      completed: (id, event) => {
        completedAt.set(id, event.revision);
        if (sampled.has(id)) replayQueue.push(id);
      },
      // One in five commands also goes to a second node at once: only one may be recorded.
      sentTwiceShare: 0.2,
      limitMs: 240_000,
      pollMs: 100,
      violations,
    });
    const campaignMs = Date.now() - began;
    campaignOver = true;
    replaying.push(replayer(false));

    // The invariants, per workflow, from its stream in the store and the scripted model's call log.
    const seen = readCalls(calls) as ScriptCall[];
    const strangers = [...new Set(seen.map((call) => call.workflowId))].filter((workflowId) => !ids.some((id) => storedId(id) === workflowId));
    if (strangers.length > 0) violations.push(`model calls for workflows the campaign never started: ${strangers.join(', ')}`);
    const registry = createSampleRegistry();
    let foldVerified = 0;
    let revisions = { byReview: 0, byPerson: 0 };
    const reruns = await checkEveryStream({
      store,
      ids,
      acknowledged,
      calls: seen,
      violations,
      alsoCheck: async (id, records) => {
        if (!acknowledged.starts.has(id)) violations.push(`${id}: its start was never acknowledged`);
        if (completedAt.has(id) && records.at(-1)?.revision !== completedAt.get(id))
          violations.push(`${id}: completed at revision ${completedAt.get(id)}, now at ${records.at(-1)?.revision}`);
        const said: string[] = [];
        const folded = await runReplay({ workflowId: storedId(id), store, registry, verify: true, out: () => undefined, err: (line) => said.push(line) }).catch(
          (error: unknown) => (said.push(String(error)), { exitCode: 1 }),
        );
        if (folded.exitCode === 0) foldVerified++;
        else violations.push(`${id}: the replay fold does not verify: ${said.join(' | ').slice(0, 600)}`);
        revisions = {
          byReview: revisions.byReview + records.filter((record) => record.type === 'RevisionRequested').length,
          byPerson: revisions.byPerson + records.filter((record) => (record.data as { decision?: string }).decision === 'request_revision').length,
        };
      },
    });
    await Promise.all(replaying);
    if (replayed !== sampled.size) violations.push(`ecl replay --verify passed for ${replayed} of the ${sampled.size} sampled workflows`);

    const summary = {
      seed,
      kills: kills.count(),
      workflows: {
        brief: ids.filter((_, index) => workflowKind(index) === 'brief').length,
        noop: ids.filter((_, index) => workflowKind(index) === 'noop').length,
      },
      acknowledged: { starts: acknowledged.starts.size, commands: [...acknowledged.commands.values()].reduce((sum, acked) => sum + acked.length, 0) },
      answers: acknowledged.answers,
      failedTries: cluster.failedTries,
      modelCalls: seen.length,
      stepsRunAgain: reruns,
      revisions,
      replayVerified: { command: replayed, fold: foldVerified },
      campaignMs,
      wallMs: Date.now() - began,
      violations: violations.length,
    };
    console.log(`postgres cluster chaos: ${JSON.stringify(summary)}`);
    expect(violations.slice(0, 40)).toEqual([]);
    expect(kills.count()).toBeGreaterThanOrEqual(KILLS);
  } finally {
    campaignOver = true;
    replayQueue.length = 0;
    await Promise.all(replaying);
    feed.unsubscribe();
    await store.close();
    await stopNodes(cluster.nodes);
  }
}, 300_000);
