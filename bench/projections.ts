/**
 * `npm run bench -- projections [--events <n>] [--seconds <n>] [--replay-events <n>] [--only catchup|live|replay]`:
 * catch-up rate of the status + audit + metrics read models, live lag while 1,000 events/s are
 * appended, and the replay rate of one long workflow, beside a floor measured in the same run (raw
 * better-sqlite3 read + JSON.parse of the same rows), and `createFolder` beside XState's public
 * `transition` per event. Writes bench/results/projections.json.
 */
import { mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createMemoryEventStore, openEventStore, workflowStream, type EventStore, type EventToAppend } from '../src/eventstore/index.js';
import { createFolder, createRegistry, defineWorkflow, foldWithTransition, WorkflowEvent } from '../src/machines/index.js';
import { createProjectionRunner, decodeEvent, defaultUpcasterRegistry, openProjectionDatabase } from '../src/projections/index.js';
import { createLineBuffer } from '../src/cli/lineBuffer.js';
import { replayWorkflow, runReplay } from '../src/replay/index.js';
import { brief } from '../examples/brief/brief.js';
import { driveHistory, usage, type Outcome } from '../test/projections/support/driveHistory.js';
import { createReplayFloor } from './_replayFloor.js';
import { argNumber } from './_args.js';

interface Figure {
  name: string;
  events: number;
  seconds: number;
  perSecond: number;
  target?: number;
  note?: string;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

const documents = [{ name: 'q3.txt', text: 'Revenue grew 12% in Q3. Churn fell to 2%.' }];

/** Real `brief` histories (the machine decides every event), 15 to 25 events each. */
function briefWorkload(events: number): EventToAppend[][] {
  const histories: EventToAppend[][] = [];
  let total = 0;
  for (let index = 0; total < events; index += 1) {
    const revisions = index % 3;
    const history = driveHistory(
      brief,
      `bench-${index}`,
      { instructions: 'Q3 brief', documents, maxIterations: 3 },
      {
        outcome: (step, iteration): Outcome => {
          if (step === 'review')
            return {
              output: iteration > revisions ? { verdict: 'approve', feedback: 'ok' } : { verdict: 'revise', feedback: `more detail ${iteration}` },
              llm: usage('claude-haiku-4-5', 1500, 30),
            };
          if (step === 'load') return { output: { artifact: `bench-${index}/brief.md` }, artifact: { hash: 'c'.repeat(64), bytes: 900, preview: '# brief' } };
          return { output: `${step} ${iteration} `.repeat(20), llm: usage('claude-sonnet-4-5', 1200, 400) };
        },
        tenant: `tenant-${index % 7}`,
      },
    );
    histories.push(history.slice(0, Math.min(history.length, events - total)));
    total += history.length;
  }
  return histories;
}

async function fill(store: EventStore, histories: EventToAppend[][]): Promise<number> {
  let count = 0;
  for (let from = 0; from < histories.length; from += 200) {
    await Promise.all(
      histories
        .slice(from, from + 200)
        .map((history, offset) => store.append(workflowStream(`bench-${from + offset}`), history, { expectedRevision: 'no_stream' })),
    );
  }
  for (const history of histories) count += history.length;
  return count;
}

/** Best of three full catch-ups (a rebuild each time): the machine is shared, the fastest round is the least disturbed. */
async function catchUp(name: string, store: EventStore, dir: string, events: number): Promise<Figure> {
  const db = openProjectionDatabase(join(dir, `${name.replace(/\W+/g, '-')}.projections.db`));
  const runner = createProjectionRunner({ store, db, batchSize: 1000 });
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round += 1) {
    const started = performance.now();
    const progress = await runner.rebuild();
    fastest = Math.min(fastest, performance.now() - started);
    if (progress.processed !== events) throw new Error(`caught up ${progress.processed} of ${events}`);
  }
  db.close();
  const seconds = fastest / 1000;
  return { name, events, seconds, perSecond: events / seconds, target: 50_000, note: 'best of 3 rebuilds from zero' };
}

async function liveLag(dir: string, seconds: number) {
  const store = await openEventStore(`sqlite:${join(dir, 'live.db')}`);
  const db = openProjectionDatabase(join(dir, 'live.projections.db'));
  const runner = createProjectionRunner({ store, db, batchSize: 1000 });
  runner.start();
  const histories = briefWorkload(seconds * 1000 + 1000);
  const cursors = histories.map(() => 0);
  const latencies: number[] = [];
  const lags: number[] = [];
  const pending: Promise<void>[] = [];
  let next = 0;
  let appended = 0;
  const started = performance.now();
  const sampler = setInterval(() => void runner.lag().then((lag) => lags.push(Number(lag.positions))), 50);
  // 10 events every 10 ms, each its own append to its own workflow's stream: 1,000 events/s.
  while (performance.now() - started < seconds * 1000) {
    const tick = performance.now();
    for (let k = 0; k < 10; k += 1) {
      const which = next++ % histories.length;
      const history = histories[which]!;
      const revision = cursors[which]!;
      if (revision >= history.length) continue;
      cursors[which] = revision + 1;
      pending.push(
        store
          .append(workflowStream(`bench-${which}`), [history[revision]!], { expectedRevision: revision === 0 ? 'no_stream' : revision - 1 })
          .then(async ({ position }) => {
            const committed = performance.now();
            await runner.waitFor(position, { timeoutMs: 30_000 });
            latencies.push(performance.now() - committed);
          }),
      );
      appended += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10 - (performance.now() - tick))));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await runner.stop();
  db.close();
  await store.close();
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  return {
    name: 'live lag while appending ~1,000 events/s (sqlite store, single-event appends)',
    appended,
    appendedPerSecond: appended / elapsed,
    visibleAfterCommitMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    lagPositions: { p50: percentile(lags, 50), p95: percentile(lags, 95), max: lags.at(-1) ?? 0, samples: lags.length },
  };
}

/** One long workflow: a draft/review loop that never approves, capped at `iterations`, policy accept. */
function longLoop(iterations: number) {
  const definition = defineWorkflow({
    name: 'longloop',
    version: 1,
    input: z.object({}).default({}),
    steps: [
      { kind: 'produce', name: 'draft', run: async () => 'x' },
      { kind: 'validate', name: 'review', run: async () => ({ verdict: 'revise' as const, feedback: 'again' }), maxIterations: iterations, onCap: 'accept' },
    ],
  });
  const events = driveHistory(
    definition,
    'bench-long',
    {},
    {
      outcome: (step, iteration): Outcome =>
        step === 'review'
          ? { output: { verdict: 'revise', feedback: `again ${iteration}` }, llm: usage('claude-haiku-4-5', 900, 20) }
          : { output: `draft ${iteration}`, llm: usage('claude-sonnet-4-5', 1000, 300) },
      stepMs: 1,
    },
  );
  return { definition, events };
}

/** The CLI's stdout, minus the terminal: every byte is written by a system call, then dropped. */
const devNull = {
  fd: openSync('/dev/null', 'w'),
  write(text: string) {
    writeSync(this.fd, text);
  },
};

/** The replay targets: a 10,000-event history refolds in ≤ 1 s, plain and --verify; ratios to the floor and to XState's public fold. */
interface ReplaySummary {
  events: number;
  targetSeconds: number;
  plainSeconds: number;
  verifySeconds: number;
  floorSeconds: number;
  plainOverFloor: number;
  verifyOverFloor: number;
  met: boolean;
  createFolderMicrosPerEvent: number;
  publicTransitionMicrosPerEvent: number;
  publicTransitionOverCreateFolder: number;
  /** The same comparison on short `brief` histories, each folded from the start as the engine rehydrates one. */
  brief: { events: number; createFolderMicrosPerEvent: number; publicTransitionMicrosPerEvent: number; publicTransitionOverCreateFolder: number };
}

async function replayRates(dir: string, targetEvents: number): Promise<{ figures: Figure[]; summary: ReplaySummary }> {
  const { definition, events } = longLoop(Math.ceil((targetEvents - 3) / 5));
  const path = join(dir, 'replay.db');
  const store = await openEventStore(`sqlite:${path}`);
  for (let from = 0; from < events.length; from += 500) await store.append(workflowStream('bench-long'), events.slice(from, from + 500));
  const floor = createReplayFloor(path);
  const registry = createRegistry([definition]);
  const best = async (name: string, run: () => Promise<unknown> | unknown, count: number, note?: string): Promise<Figure> => {
    let fastest = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 5; round += 1) {
      const started = performance.now();
      await run();
      fastest = Math.min(fastest, performance.now() - started);
    }
    const seconds = fastest / 1000;
    return { name, events: count, seconds, perSecond: count / seconds, ...(note === undefined ? {} : { note }) };
  };
  /**
   * Figures compared as a ratio are run in alternation, round after round (best of 7 each): load
   * from anything else on the machine then hits both alike.
   */
  interface Run {
    name: string;
    run: () => Promise<unknown> | unknown;
    count: number;
  }
  const interleaved = async <T extends Run[]>(runs: [...T]): Promise<{ [K in keyof T]: Figure }> => {
    const fastest = runs.map(() => Number.POSITIVE_INFINITY);
    for (let round = 0; round < 7; round += 1) {
      for (const [index, { run }] of runs.entries()) {
        const started = performance.now();
        await run();
        fastest[index] = Math.min(fastest[index]!, performance.now() - started);
      }
    }
    return runs.map(({ name, count }, index) => ({ name, events: count, seconds: fastest[index]! / 1000, perSecond: (count * 1000) / fastest[index]! })) as {
      [K in keyof T]: Figure;
    };
  };
  const n = events.length;
  const recorded = await store.readStream(workflowStream('bench-long'));
  const upcasters = defaultUpcasterRegistry();
  const decoded = recorded.map((event) => {
    const result = decodeEvent(event, upcasters);
    if (!result.ok) throw new Error(result.detail);
    return result.decoded.event;
  });
  const folder = createFolder(definition.machine);
  const [plain, verify, floorFigure] = await interleaved([
    {
      name: 'ecl replay <id> (read + upcast + fold + print each transition to /dev/null, as the CLI writes)',
      run: () => {
        const stdout = createLineBuffer(devNull);
        return runReplay({ workflowId: 'bench-long', store, registry, out: stdout.write, err: () => undefined }).finally(stdout.flush);
      },
      count: n,
    },
    {
      name: 'ecl replay <id> --verify (also validates, re-decides every automatic event, compares states)',
      run: () => runReplay({ workflowId: 'bench-long', store, registry, verify: true, out: () => undefined, err: () => undefined }),
      count: n,
    },
    {
      name: '  floor: better-sqlite3 read of the same rows in pages of 500 + JSON.parse, nothing else',
      run: () => {
        if (floor.readAndParse(workflowStream('bench-long')) !== n) throw new Error('the floor read a different stream');
      },
      count: n,
    },
  ]);
  const [fold, publicFold] = await interleaved([
    { name: '  of which: fold (createFolder: replay, --verify and the engine)', run: () => folder.fold(decoded), count: n },
    { name: "  reference: fold with XState's public transition() per event", run: () => foldWithTransition(definition.machine, decoded), count: n },
  ]);
  const briefHistories = briefWorkload(10_000).map((history) => history.map((event) => ({ type: event.type, data: event.data }) as WorkflowEvent));
  const briefEvents = briefHistories.reduce((sum, history) => sum + history.length, 0);
  const briefFolder = createFolder(brief.machine);
  const [briefFold, briefPublicFold] = await interleaved([
    {
      name: '  brief histories (15-25 events), each folded from the start: createFolder',
      run: () => briefHistories.forEach((history) => briefFolder.fold(history)),
      count: briefEvents,
    },
    {
      name: "  brief histories (15-25 events), each folded from the start: XState's public transition()",
      run: () => briefHistories.forEach((history) => foldWithTransition(brief.machine, history)),
      count: briefEvents,
    },
  ]);
  const figures = [
    plain,
    verify,
    floorFigure,
    await best('replayWorkflow (read + upcast + fold, keeps every transition, no printing)', () => replayWorkflow('bench-long', { store, registry }), n),
    await best(
      '  of which: readStream from SQLite, pages of 500 as replay reads',
      async () => {
        for (let from = 0; from < n; from += 500) await store.readStream(workflowStream('bench-long'), { from, limit: 500 });
      },
      n,
    ),
    await best(
      '  of which: decode + upcast (trusted, as plain replay decodes)',
      () => recorded.forEach((event) => decodeEvent(event, upcasters, { trusted: true })),
      n,
    ),
    fold,
    await best(
      '  reference: decode + upcast + validation (as --verify and the projections decode)',
      () => recorded.forEach((event) => decodeEvent(event, upcasters)),
      n,
    ),
    publicFold,
    briefFold,
    briefPublicFold,
    await best('  reference: zod WorkflowEvent.parse alone', () => recorded.forEach((event) => WorkflowEvent.parse({ type: event.type, data: event.data })), n),
  ];
  plain.target = 10_000;
  floor.close();
  await store.close();
  const micros = (figure: Figure) => (figure.seconds * 1e6) / figure.events;
  const summary: ReplaySummary = {
    events: n,
    targetSeconds: 1,
    plainSeconds: plain.seconds,
    verifySeconds: verify.seconds,
    floorSeconds: floorFigure.seconds,
    plainOverFloor: plain.seconds / floorFigure.seconds,
    verifyOverFloor: verify.seconds / floorFigure.seconds,
    met: plain.seconds <= 1 && verify.seconds <= 1,
    createFolderMicrosPerEvent: micros(fold),
    publicTransitionMicrosPerEvent: micros(publicFold),
    publicTransitionOverCreateFolder: micros(publicFold) / micros(fold),
    brief: {
      events: briefEvents,
      createFolderMicrosPerEvent: micros(briefFold),
      publicTransitionMicrosPerEvent: micros(briefPublicFold),
      publicTransitionOverCreateFolder: micros(briefPublicFold) / micros(briefFold),
    },
  };
  return { figures, summary };
}

export async function main(args: string[]): Promise<void> {
  const events = argNumber(args, 'events', 100_000);
  const seconds = argNumber(args, 'seconds', 5);
  const replayEvents = argNumber(args, 'replay-events', 10_000);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
  const runs = (part: string) => only === undefined || only === part;
  const dir = mkdtempSync(join(tmpdir(), 'ecl-bench-projections-'));
  try {
    const histories = runs('catchup') ? briefWorkload(events) : [];
    const catchUps: Figure[] = [];
    if (runs('catchup')) {
      const memory = createMemoryEventStore();
      const total = await fill(memory, histories);
      const sqlite = await openEventStore(`sqlite:${join(dir, 'events.db')}`, { synchronous: 'NORMAL' });
      await fill(sqlite, histories);
      catchUps.push(await catchUp(`catch-up of status + audit + metrics over ${total} events (memory store → SQLite read models)`, memory, dir, total));
      catchUps.push(await catchUp(`catch-up of status + audit + metrics over ${total} events (sqlite store → SQLite read models)`, sqlite, dir, total));
      await sqlite.close();
      await memory.close();
    }
    const live = runs('live') ? await liveLag(dir, seconds) : undefined;
    const replayRun = runs('replay') ? await replayRates(dir, replayEvents) : undefined;
    const replay = replayRun?.figures ?? [];
    const replaySummary = replayRun?.summary;

    const rows = [...catchUps, ...replay];
    console.log('\nprojections');
    for (const figure of rows) {
      const target =
        figure.target === undefined ? '' : `  (target ≥ ${figure.target.toLocaleString('en')}/s: ${figure.perSecond >= figure.target ? 'met' : 'NOT met'})`;
      console.log(`  ${figure.name.padEnd(92)} ${Math.round(figure.perSecond).toLocaleString('en').padStart(12)} events/s${target}`);
    }
    if (replaySummary !== undefined) {
      const { events: count, plainSeconds, verifySeconds, floorSeconds, plainOverFloor, verifyOverFloor, met } = replaySummary;
      const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
      console.log(
        `  ${count.toLocaleString('en')}-event history: ecl replay ${ms(plainSeconds)} (${plainOverFloor.toFixed(2)}x floor), --verify ${ms(verifySeconds)} (${verifyOverFloor.toFixed(2)}x floor); floor ${ms(floorSeconds)}; target ≤ 1 s each: ${met ? 'met' : 'NOT met'}`,
      );
      console.log(
        `  fold per event, long loop: createFolder ${replaySummary.createFolderMicrosPerEvent.toFixed(2)} µs, XState public transition() ${replaySummary.publicTransitionMicrosPerEvent.toFixed(2)} µs (${replaySummary.publicTransitionOverCreateFolder.toFixed(1)}x slower)`,
      );
      console.log(
        `  fold per event, brief histories: createFolder ${replaySummary.brief.createFolderMicrosPerEvent.toFixed(2)} µs, XState public transition() ${replaySummary.brief.publicTransitionMicrosPerEvent.toFixed(2)} µs (${replaySummary.brief.publicTransitionOverCreateFolder.toFixed(1)}x slower)`,
      );
    }
    if (live !== undefined)
      console.log(
        `  ${live.name}: ${live.appended} appended (${Math.round(live.appendedPerSecond)}/s); visible in the read models after commit p50 ${live.visibleAfterCommitMs.p50.toFixed(2)} ms, p95 ${live.visibleAfterCommitMs.p95.toFixed(2)} ms, max ${live.visibleAfterCommitMs.max.toFixed(2)} ms; lag p50 ${live.lagPositions.p50} / p95 ${live.lagPositions.p95} / max ${live.lagPositions.max} positions`,
      );
    const result = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim(),
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
      workload: `brief histories decided by the real machine (15-25 events each, ${histories.length} workflows); replay: one draft/review loop of ${replayEvents} events`,
      catchUp: catchUps,
      live,
      replay,
      replaySummary,
    };
    // A partial run (--only) prints its figures but leaves the full results file alone.
    if (only === undefined) writeFileSync(join(import.meta.dirname, 'results', 'projections.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
