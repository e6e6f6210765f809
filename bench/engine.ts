/**
 * `npm run bench -- engine`: the engine's own overhead on serial3 (three no-op steps, each outcome
 * durably appended before the next step starts) on the shipped SQLite store (WAL,
 * synchronous=FULL, group commit), against two raw better-sqlite3 floors run in the same process.
 * Writes bench/results/engine.json.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import { type Engine, createEngine, loadWorkflow } from '../src/actors/index.js';
import { createMemoryArtifactStore } from '../src/artifacts/index.js';
import { type EventStore, openEventStore, workflowStream } from '../src/eventstore/index.js';
import { createOfflineProvider } from '../src/llm/index.js';
import { createRegistry, defineWorkflow } from '../src/machines/index.js';
import { serial3 } from './_serial3.js';
import { createEngineFloor } from './_engineFloor.js';
import { percentile, median } from './_stats.js';
import { argText } from './_args.js';
import { silentLogger } from './_silentLogger.js';

const SEQUENTIAL_RUNS = 200;
const THROUGHPUT_WORKFLOWS = 2_000;
const IN_FLIGHT = 64;
const IDLE_WORKFLOWS = 2_000;
const LOOP_ITERATIONS = 2_000; // 5 events per iteration: ~10,000 events

/** serial3 with an approval gate at the end: after its steps it waits, idle, for a person. */
const serial3Gated = defineWorkflow({
  name: 'serial3gated',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'one', run: async () => null },
    { kind: 'produce', name: 'two', run: async () => null },
    { kind: 'produce', name: 'three', run: async () => null },
    { kind: 'approval', name: 'approve' },
  ],
});

/** A producer and a validator that asks for revisions until the cap: a long stream to rehydrate. */
const longLoop = defineWorkflow({
  name: 'longloop',
  version: 1,
  input: z.object({ iterations: z.number().int() }),
  steps: [
    { kind: 'produce', name: 'work', run: async (ctx) => ctx.iteration },
    {
      kind: 'validate',
      name: 'check',
      run: async () => ({ verdict: 'revise', feedback: 'again' }),
      maxIterations: (input) => input.iterations,
      onCap: 'escalate',
    },
  ],
});

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

function collectGarbage(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  // Same as launching with --expose-gc, without changing the npm script.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function makeEngine(store: EventStore): Engine {
  return createEngine({
    store,
    llm: createOfflineProvider(),
    artifacts: createMemoryArtifactStore(),
    logger: silentLogger(),
    definitions: createRegistry([serial3, serial3Gated, longLoop]),
  });
}

async function runOne(engine: Engine, definition = 'serial3'): Promise<string> {
  const { workflowId } = await engine.start(definition, {});
  const view = await engine.settled(workflowId);
  if (view.status !== (definition === 'serial3' ? 'completed' : 'waiting')) throw new Error(`${workflowId} ended ${view.status}`);
  return workflowId;
}

export async function main(args: string[]): Promise<void> {
  const gc = collectGarbage();
  const loadBefore = loadavg().map((value) => round(value, 2));
  const dir = mkdtempSync(join(argText(args, 'dir') ?? tmpdir(), 'ecl-bench-engine-'));
  const store = await openEventStore(`sqlite:${join(dir, 'engine.db')}`);
  const floor = createEngineFloor(join(dir, 'floor.db'));
  const results: Record<string, unknown> = {};
  try {
    let engine = makeEngine(store);

    // Warm up the JIT and the file on both sides.
    for (let index = 0; index < 100; index++) await runOne(engine);
    for (let index = 0; index < 100; index++) floor.workflowOneTransactionPerStep();

    // 1. One workflow after another: latency per workflow, interleaved with the floor so both see the same machine load.
    const ours: number[] = [];
    const oneTxPerStep: number[] = [];
    for (let index = 0; index < SEQUENTIAL_RUNS; index++) {
      const started = performance.now();
      await runOne(engine);
      ours.push(performance.now() - started);
      oneTxPerStep.push(floor.workflowOneTransactionPerStep());
    }
    ours.sort((a, b) => a - b);
    oneTxPerStep.sort((a, b) => a - b);
    const sequential = {
      runs: SEQUENTIAL_RUNS,
      p50Ms: round(percentile(ours, 50)),
      p99Ms: round(percentile(ours, 99)),
      floorOneTransactionPerStepP50Ms: round(percentile(oneTxPerStep, 50)),
      floorOneTransactionPerStepP99Ms: round(percentile(oneTxPerStep, 99)),
    };

    // 2. Throughput: 2,000 workflows, 64 in flight; an unmeasured round first, then three measured
    // rounds, each next to a round of the batch floor. The median round is the figure.
    const pool = async (count: number): Promise<number> => {
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < count) {
            next++;
            await runOne(engine);
          }
        }),
      );
      return count / ((performance.now() - started) / 1000);
    };
    const batches = Math.ceil(THROUGHPUT_WORKFLOWS / IN_FLIGHT);
    const floorRound = (): number => {
      let ms = 0;
      for (let index = 0; index < batches; index++) ms += floor.batchOfWorkflows(IN_FLIGHT);
      return (batches * IN_FLIGHT) / (ms / 1000);
    };
    await pool(THROUGHPUT_WORKFLOWS / 2);
    floorRound();
    const rounds: number[] = [];
    const floorRounds: number[] = [];
    for (let measured = 0; measured < 3; measured++) {
      rounds.push(await pool(THROUGHPUT_WORKFLOWS));
      floorRounds.push(floorRound());
    }
    const workflowsPerSecond = median(rounds);
    const floorBatchPerSecond = median(floorRounds);
    const floorOneTxPerSecond = 1000 / median(oneTxPerStep);
    const throughput = {
      workflows: THROUGHPUT_WORKFLOWS,
      inFlight: IN_FLIGHT,
      rounds: rounds.map((value) => round(value, 0)),
      workflowsPerSecond: round(workflowsPerSecond, 0),
      stepsPerSecond: round(workflowsPerSecond * 3, 0),
      floorOneTransactionPerStepWorkflowsPerSecond: round(floorOneTxPerSecond, 0),
      floorBatchPerSecond: round(floorBatchPerSecond, 0),
    };
    const peakRssMiB = round(process.resourceUsage().maxRSS / 1024, 1);

    // 3. Rehydrating one workflow with ~10,000 events, cold (a fresh engine), with the snapshot cache and without it.
    const loopId = 'longloop-1';
    await engine.start('longloop', { iterations: LOOP_ITERATIONS }, { id: loopId });
    const looped = await engine.settled(loopId);
    const events = looped.revision + 1;
    await engine.close();
    const cached: number[] = [];
    const full: number[] = [];
    const registry = createRegistry([serial3, serial3Gated, longLoop]);
    for (let index = 0; index < 15; index++) {
      const fresh = makeEngine(store);
      let started = performance.now();
      const view = await fresh.get(loopId);
      cached.push(performance.now() - started);
      if (view?.revision !== looped.revision || view.state !== looped.state) throw new Error('rehydrated state differs from the live one');
      await fresh.close();
      started = performance.now();
      const records = await store.readStream(workflowStream(loopId));
      const { snapshot } = (await loadWorkflow(withoutSnapshots(store), registry, loopId)) ?? {};
      full.push(performance.now() - started);
      if (snapshot === undefined || records.length !== events) throw new Error('full fold failed');
    }
    const rehydration = { events, withSnapshotCacheMs: round(median(cached)), fullFoldMs: round(median(full)) };

    // 4. Memory per idle live workflow (waiting for a person, kept in memory).
    engine = makeEngine(store);
    for (let index = 0; index < 50; index++) await runOne(engine, 'serial3gated');
    await engine.passivate();
    await settleHeap(gc);
    const before = process.memoryUsage().heapUsed;
    let started = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (started < IDLE_WORKFLOWS) {
          started++;
          await runOne(engine, 'serial3gated');
        }
      }),
    );
    await settleHeap(gc);
    const after = process.memoryUsage().heapUsed;
    const live = engine.liveCount();
    const bytesPerIdleWorkflow = round((after - before) / live, 0);
    await engine.close();

    const ratios = {
      p50VsOneTransactionPerStep: round(sequential.p50Ms / sequential.floorOneTransactionPerStepP50Ms, 2),
      throughputVsOneTransactionPerStep: round(throughput.workflowsPerSecond / throughput.floorOneTransactionPerStepWorkflowsPerSecond, 2),
      throughputVsBatchFloor: round(throughput.workflowsPerSecond / throughput.floorBatchPerSecond, 3),
    };
    Object.assign(results, { sequential, throughput, peakRssMiB, rehydration, memory: { idleLiveWorkflows: live, bytesPerIdleWorkflow }, ratios });

    const targets = {
      workflowsPerSecond: { target: '>= 3700', actual: throughput.workflowsPerSecond, met: throughput.workflowsPerSecond >= 3700 },
      p50: { target: '<= 2x one-transaction-per-step floor', actual: ratios.p50VsOneTransactionPerStep, met: ratios.p50VsOneTransactionPerStep <= 2 },
      rehydration: { target: '<= 25 ms for 10,000 events', actual: rehydration.withSnapshotCacheMs, met: rehydration.withSnapshotCacheMs <= 25 },
      memory: { target: '<= 20 KB per idle live workflow', actual: bytesPerIdleWorkflow, met: bytesPerIdleWorkflow <= 20 * 1024 },
    };
    results.targets = targets;

    const rows: [string, string, string][] = [
      [
        'serial3 p50 / p99, one after another',
        `${sequential.p50Ms} / ${sequential.p99Ms} ms`,
        `${ratios.p50VsOneTransactionPerStep}x floor (${sequential.floorOneTransactionPerStepP50Ms} ms)`,
      ],
      [
        `workflows/s, ${THROUGHPUT_WORKFLOWS} with ${IN_FLIGHT} in flight`,
        `${throughput.workflowsPerSecond}`,
        `median of ${throughput.rounds.join(', ')}; ${ratios.throughputVsBatchFloor}x batch floor (${throughput.floorBatchPerSecond}/s); ${ratios.throughputVsOneTransactionPerStep}x 1-tx floor`,
      ],
      ['steps/s', `${throughput.stepsPerSecond}`, ''],
      ['peak RSS', `${peakRssMiB} MiB`, ''],
      [`rehydrate ${events} events (cold)`, `${rehydration.withSnapshotCacheMs} ms`, `full fold without cache ${rehydration.fullFoldMs} ms`],
      ['memory per idle live workflow', `${bytesPerIdleWorkflow} B`, `${live} waiting workflows in memory`],
    ];
    results.loadAverage = { before: loadBefore, after: loadavg().map((value) => round(value, 2)) };
    console.log(
      `\nengine (serial3 on SQLite, synchronous=FULL, group commit; load average ${loadBefore.join(' ')} → ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')} on ${cpus().length} cores)`,
    );
    for (const [name, value, note] of rows) console.log(`  ${name.padEnd(42)} ${value.padStart(18)}   ${note}`);
    for (const [name, target] of Object.entries(targets))
      console.log(`  target ${name.padEnd(18)} ${target.met ? 'met' : 'NOT met'} (${target.target}; actual ${target.actual})`);
  } finally {
    floor.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const out = join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'engine.json'),
    `${JSON.stringify({ date: new Date().toISOString(), store: 'sqlite (temp file, WAL, synchronous=FULL, group commit)', machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` }, ...results }, null, 2)}\n`,
  );
}

/** Lets pending promise jobs finish (their garbage is only collectable after a turn), then collects twice. */
async function settleHeap(gc: () => void): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  gc();
}

/** The same store, with the snapshot side stream hidden: measures the fold of the whole stream. */
function withoutSnapshots(store: EventStore): EventStore {
  return {
    ...store,
    readStream: (stream, options) => (stream.startsWith('ecl.snapshot-') ? Promise.resolve([]) : store.readStream(stream, options)),
  } as EventStore;
}
