/**
 * `npm run bench -- timers [--workflows 10000] [--rounds 4] [--due-ms 25000] [--dir <folder>]`:
 * 10,000 workflows each sleeping on a durable timer (a `sleep` step), on the shipped SQLite store
 * in a temp folder, with the real system clock. Per round, on a fresh store: start them all (64 in
 * flight) with one due time; memory (RSS, heap after GC) once all sleep; close the engine; let the
 * due time come; start a new engine on the same store and call `recover()`; the time until every
 * workflow recorded SleepEnded and completed, and each one's lag beyond its due time. Rounds
 * alternate the moment of the restart (see `Restart`); medians of each. The floor, in the same
 * round: reading every stream once (the log scan `recover()` starts with, then each workflow's
 * stream). Writes bench/results/timers.json. `--profile <file.cpuprofile>` records a CPU profile of
 * the first round's restart (engine creation, `recover()`, until every workflow completed).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Engine, createEngine } from '../src/actors/index.js';
import { createMemoryArtifactStore } from '../src/artifacts/index.js';
import { type EventStore, WORKFLOW_CATEGORY, openEventStore, workflowStream } from '../src/eventstore/index.js';
import { createOfflineProvider } from '../src/llm/index.js';
import { createRegistry } from '../src/machines/index.js';
import { percentile, median } from './_stats.js';
import { argNumber, argText } from './_args.js';
import { silentLogger } from './_silentLogger.js';
import { napper } from './_napper.js';

const IN_FLIGHT = 64;
const TARGET_LAG_MS = 1_000;

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
const mib = (bytes: number): number => round(bytes / 2 ** 20);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function collectGarbage(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Lets pending promise jobs finish, then collects twice. */
async function settleHeap(gc: () => void): Promise<void> {
  await pause(50);
  gc();
  gc();
}

function makeEngine(store: EventStore): Engine {
  return createEngine({
    store,
    llm: createOfflineProvider(),
    artifacts: createMemoryArtifactStore(),
    logger: silentLogger(),
    definitions: createRegistry([napper]),
  });
}

/** Resolves when `count` events of `type` have gone through the engine's feed; `onEach` sees each. */
function countEvents(engine: Engine, type: string, count: number, onEach?: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const subscription = engine.feed.subscribe({
      next: (event) => {
        if (event.kind !== 'transition' || event.event.type !== type) return;
        onEach?.();
        if (++seen === count) {
          subscription.unsubscribe();
          resolve();
        }
      },
      complete: () => reject(new Error(`engine closed after ${seen} of ${count} ${type}`)),
    });
  });
}

/** The floor: the log scan recover() starts with, then every workflow's stream once. Returns ms. */
async function readEveryStream(store: EventStore, ids: readonly string[]): Promise<number> {
  const started = performance.now();
  let from: bigint | 'start' = 'start';
  for (;;) {
    const page = await store.readAll({ fromPosition: from, limit: 5_000, filter: { streamPrefixes: [`${WORKFLOW_CATEGORY}-`] } });
    const tail = page[page.length - 1];
    if (page.length < 5_000 || tail === undefined) break;
    from = tail.position + 1n;
  }
  for (const id of ids) {
    const events = await store.readStream(workflowStream(id));
    if (events[events.length - 1]?.type !== 'WorkflowCompleted') throw new Error(`${id} did not complete`);
  }
  return performance.now() - started;
}

interface Round {
  startAllMs: number;
  sleptBeforeDue: boolean;
  liveSleeping: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapPerWorkflowBytes: number;
  restartAfterDueMs: number;
  recoverCallMs: number;
  allFiredMs: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  floorReadAllStreamsMs: number;
}

/**
 * When the new engine starts: at the due time, so every timer is overdue and `recover()` fires
 * them all at once (the process was down when they came due); or 3 s before it, so `recover()`
 * loads the sleepers and arms their timers, which then fire live (a restart, e.g. a deploy, while
 * they sleep).
 */
type Restart = 'atDue' | 'beforeDue';
const BEFORE_DUE_MS = 3_000;

async function oneRound(gc: () => void, parent: string, workflows: number, dueMs: number, restart: Restart, profile?: string): Promise<Round> {
  const dir = mkdtempSync(join(parent, 'ecl-bench-timers-'));
  const store = await openEventStore(`sqlite:${join(dir, 'timers.db')}`);
  try {
    await settleHeap(gc);
    const heapBefore = process.memoryUsage().heapUsed;
    const until = new Date(Date.now() + dueMs).toISOString();
    const ids = Array.from({ length: workflows }, (_, index) => `nap-${index}`);

    // 1. Every workflow asleep, in one engine.
    const first = makeEngine(store);
    const asleep = countEvents(first, 'SleepStarted', workflows);
    let started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < workflows) {
          const id = ids[next++] as string;
          await first.start('napper', { until }, { id });
        }
      }),
    );
    await asleep;
    const startAllMs = performance.now() - started;
    await settleHeap(gc);
    const memory = process.memoryUsage();
    const liveSleeping = first.liveCount();
    const sleptBeforeDue = Date.now() < Date.parse(until);
    await first.close();

    // 2. No engine runs until the restart; then a new one recovers them.
    await pause(Date.parse(until) - Date.now() + (restart === 'atDue' ? 1 : -BEFORE_DUE_MS));
    const lags: number[] = [];
    const profiler = profile === undefined ? undefined : await startProfiler();
    const second = makeEngine(store);
    const fired = countEvents(second, 'SleepEnded', workflows, () => lags.push(Date.now() - Date.parse(until)));
    const completed = countEvents(second, 'WorkflowCompleted', workflows);
    const restartAfterDueMs = Date.now() - Date.parse(until);
    started = performance.now();
    await second.recover();
    const recoverCallMs = performance.now() - started;
    await Promise.all([fired, completed]);
    // From the due time when the restart came before it.
    const allFiredMs = performance.now() - started + Math.min(0, restartAfterDueMs);
    if (profiler !== undefined && profile !== undefined) await profiler.stop(profile);
    await second.close();

    const floorReadAllStreamsMs = await readEveryStream(store, ids);
    lags.sort((a, b) => a - b);
    return {
      startAllMs: round(startAllMs),
      sleptBeforeDue,
      liveSleeping,
      rssMiB: mib(memory.rss),
      heapUsedMiB: mib(memory.heapUsed),
      heapPerWorkflowBytes: Math.round((memory.heapUsed - heapBefore) / workflows),
      restartAfterDueMs,
      recoverCallMs: round(recoverCallMs),
      allFiredMs: round(allFiredMs),
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
      lagMaxMs: lags[lags.length - 1] ?? NaN,
      floorReadAllStreamsMs: round(floorReadAllStreamsMs),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startProfiler() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file: string) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

export async function main(args: string[]): Promise<void> {
  const workflows = argNumber(args, 'workflows', 10_000);
  const rounds = argNumber(args, 'rounds', 4);
  const dueMs = argNumber(args, 'due-ms', 25_000);
  const gc = collectGarbage();
  const loadBefore = loadavg().map((value) => round(value, 2));
  const all: (Round & { restart: Restart })[] = [];
  // Alternating rounds: a restart at the due time, then one before it, and so on.
  for (let index = 0; index < rounds; index++) {
    const restart: Restart = index % 2 === 0 ? 'atDue' : 'beforeDue';
    const profile = index === 0 ? argText(args, 'profile') : undefined;
    all.push({ restart, ...(await oneRound(gc, argText(args, 'dir') ?? tmpdir(), workflows, dueMs, restart, profile)) });
  }
  const loadAfter = loadavg().map((value) => round(value, 2));

  const summarize = (entries: readonly Round[]) => {
    const med = (key: keyof Round): number => median(entries.map((entry) => Number(entry[key])));
    return {
      rounds: entries.length,
      startAllMs: med('startAllMs'),
      rssMiB: med('rssMiB'),
      heapUsedMiB: med('heapUsedMiB'),
      heapPerWorkflowBytes: med('heapPerWorkflowBytes'),
      restartAfterDueMs: med('restartAfterDueMs'),
      resumeCallMs: med('recoverCallMs'),
      allFiredMs: med('allFiredMs'),
      lagP50Ms: med('lagP50Ms'),
      lagP99Ms: med('lagP99Ms'),
      lagMaxMs: med('lagMaxMs'),
      worstMaxLagMs: Math.max(...entries.map((entry) => entry.lagMaxMs)),
      floorReadAllStreamsMs: med('floorReadAllStreamsMs'),
      allFiredVsFloor: round(med('allFiredMs') / med('floorReadAllStreamsMs'), 2),
    };
  };
  const atDue = summarize(all.filter((entry) => entry.restart === 'atDue'));
  const beforeDue = summarize(all.filter((entry) => entry.restart === 'beforeDue'));
  const lagTarget = (summary: ReturnType<typeof summarize>, when: string) => ({
    target: `every timer fires within ${TARGET_LAG_MS} ms of its due time after a restart ${when}`,
    actual: { medianMaxLagMs: summary.lagMaxMs, worstMaxLagMs: summary.worstMaxLagMs },
    met: summary.worstMaxLagMs <= TARGET_LAG_MS,
  });
  const targets = {
    overdue: lagTarget(atDue, 'at the due time (all overdue, fired by recover())'),
    armed: lagTarget(beforeDue, `${BEFORE_DUE_MS / 1000} s before the due time (armed by recover(), fired live)`),
  };
  const results = {
    workflows,
    rounds,
    dueMs,
    inFlight: IN_FLIGHT,
    restartAtDue: atDue,
    restartBeforeDue: beforeDue,
    perRound: all,
    targets,
    loadAverage: { before: loadBefore, after: loadAfter },
  };

  console.log(
    `\ntimers (${workflows} workflows asleep on one due time; engine closed, restarted at or before the due time; system clock; SQLite synchronous=FULL; ${rounds} alternating rounds, medians; load ${loadBefore.join(' ')} → ${loadAfter.join(' ')} on ${cpus().length} cores)`,
  );
  const rows: [string, string, string][] = [
    ['start all, until every one sleeps', `${atDue.startAllMs} ms`, `${IN_FLIGHT} in flight`],
    [
      'memory with all asleep (after GC)',
      `RSS ${atDue.rssMiB} MiB`,
      `heap ${atDue.heapUsedMiB} MiB; ${atDue.heapPerWorkflowBytes} B heap per sleeping workflow (${all[0]?.liveSleeping} live)`,
    ],
    ['floor: read every stream once', `${atDue.floorReadAllStreamsMs} ms`, 'the log scan, then each stream'],
  ];
  for (const [name, summary] of [
    ['restart at due', atDue],
    [`restart ${BEFORE_DUE_MS / 1000} s before due`, beforeDue],
  ] as const) {
    if (summary.rounds === 0) continue;
    rows.push(
      [
        `${name}: all fired and completed`,
        `${summary.allFiredMs} ms`,
        `${summary.allFiredVsFloor}x floor (${summary.floorReadAllStreamsMs} ms); restarted ${summary.restartAfterDueMs} ms from due; recover() took ${summary.resumeCallMs} ms`,
      ],
      [`${name}: lag p50 / p99 / max`, `${summary.lagP50Ms} / ${summary.lagP99Ms} / ${summary.lagMaxMs} ms`, `worst round's max ${summary.worstMaxLagMs} ms`],
    );
  }
  for (const [name, value, note] of rows) console.log(`  ${name.padEnd(46)} ${value.padStart(24)}   ${note}`);
  if (all.some((entry) => !entry.sleptBeforeDue)) console.log('  warning: a round had not put every workflow to sleep before the due time; raise --due-ms');
  for (const [name, target] of Object.entries(targets))
    console.log(`  target ${name.padEnd(8)} ${target.met ? 'met' : 'NOT met'} (${target.target}; worst max lag ${target.actual.worstMaxLagMs} ms)`);

  const out = join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'timers.json'),
    `${JSON.stringify({ date: new Date().toISOString(), store: 'sqlite (temp file, WAL, synchronous=FULL, group commit)', machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` }, ...results }, null, 2)}\n`,
  );
}
