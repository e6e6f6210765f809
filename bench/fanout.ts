/**
 * `npm run bench -- fanout [--items 1000] [--rounds 5] [--concurrency 1,8,64] [--dir <folder>]`:
 * one workflow whose only step fans out over 1,000 items with `ctx.map` (a no-op per item, each
 * recorded as its own CallCompleted), at several `concurrency` settings, on the shipped SQLite
 * store (WAL, synchronous=FULL, group commit) in a temp folder. The floor, measured in the same run
 * in alternating rounds: serial3 (three no-op steps) one workflow after another on the same store
 * kind, as a cost per step (wall and CPU from `process.cpuUsage`). Ratios are per round (each
 * fan-out against the same round's serial3 sample), then the median; absolute figures are medians.
 * Writes bench/results/fanout.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { type Engine, createEngine } from '../src/actors/index.js';
import { createMemoryArtifactStore } from '../src/artifacts/index.js';
import { type EventStore, openEventStore } from '../src/eventstore/index.js';
import { createOfflineProvider } from '../src/llm/index.js';
import { createRegistry, defineWorkflow } from '../src/machines/index.js';
import { serial3 } from './_serial3.js';
import { cpuMs } from './_stats.js';
import { argNumber, argText } from './_args.js';
import { silentLogger } from './_silentLogger.js';

const TARGET_RATIO = 1.5;

/** One step mapping a no-op over `items` items, `concurrency` at once. */
const fanout = defineWorkflow({
  name: 'fanout',
  version: 1,
  input: z.object({ items: z.number().int().min(1), concurrency: z.number().int().min(1) }),
  steps: [
    {
      kind: 'produce',
      name: 'map',
      run: async (ctx) => {
        const items = Array.from({ length: ctx.input.items }, (_, index) => index);
        const results = await ctx.map('item', items, () => null, { concurrency: ctx.input.concurrency });
        return results.length;
      },
    },
  ],
});

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

function makeEngine(store: EventStore): Engine {
  return createEngine({
    store,
    llm: createOfflineProvider(),
    artifacts: createMemoryArtifactStore(),
    logger: silentLogger(),
    definitions: createRegistry([fanout, serial3]),
  });
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function timed(work: () => Promise<void>): Promise<Sample> {
  const cpu = cpuMs();
  const started = performance.now();
  await work();
  return { wallMs: performance.now() - started, cpuMs: cpuMs() - cpu };
}

/** One fan-out workflow of `items` items, start to completion. */
async function runFanOut(engine: Engine, items: number, concurrency: number): Promise<Sample> {
  return timed(async () => {
    const { workflowId } = await engine.start('fanout', { items, concurrency });
    const view = await engine.settled(workflowId);
    if (view.status !== 'completed') throw new Error(`${workflowId} ended ${view.status}`);
  });
}

/** `count` serial3 workflows one after another (3 steps each). */
async function runSerial(engine: Engine, count: number): Promise<Sample> {
  return timed(async () => {
    for (let index = 0; index < count; index++) {
      const { workflowId } = await engine.start('serial3', {});
      const view = await engine.settled(workflowId);
      if (view.status !== 'completed') throw new Error(`${workflowId} ended ${view.status}`);
    }
  });
}

export async function main(args: string[]): Promise<void> {
  const items = argNumber(args, 'items', 1_000);
  const rounds = argNumber(args, 'rounds', 5);
  const concurrencies = (argText(args, 'concurrency') ?? '1,8,64').split(',').map(Number);
  // As many serial3 steps per floor sample as items in a fan-out, so both samples take similar time.
  const serialWorkflows = Math.ceil(items / 3);
  const loadBefore = loadavg().map((value) => round(value, 2));
  const dir = mkdtempSync(join(argText(args, 'dir') ?? tmpdir(), 'ecl-bench-fanout-'));
  const store = await openEventStore(`sqlite:${join(dir, 'fanout.db')}`);
  const engine = makeEngine(store);
  let results: Record<string, unknown>;
  try {
    // Warm-up: the JIT and the file, on both sides.
    await runSerial(engine, 100);
    for (const concurrency of concurrencies) await runFanOut(engine, items, concurrency);

    const serial: Sample[] = [];
    const fan = new Map<number, Sample[]>(concurrencies.map((concurrency) => [concurrency, []]));
    for (let index = 0; index < rounds; index++) {
      // Alternate which side goes first, so a burst of load on the machine falls on both.
      if (index % 2 === 0) serial.push(await runSerial(engine, serialWorkflows));
      for (const concurrency of concurrencies) fan.get(concurrency)?.push(await runFanOut(engine, items, concurrency));
      if (index % 2 === 1) serial.push(await runSerial(engine, serialWorkflows));
    }

    const steps = serialWorkflows * 3;
    const serialStepWallMs = median(serial.map((sample) => sample.wallMs / steps));
    const serialStepCpuMs = median(serial.map((sample) => sample.cpuMs / steps));
    const byConcurrency = concurrencies.map((concurrency) => {
      const samples = fan.get(concurrency) ?? [];
      const perItemWallMs = median(samples.map((sample) => sample.wallMs / items));
      const perItemCpuMs = median(samples.map((sample) => sample.cpuMs / items));
      // Each round's fan-out against the same round's serial3 sample, then the median of those ratios.
      const paired = (of: (sample: Sample) => number) => median(samples.map((sample, at) => of(sample) / items / (of(serial[at] as Sample) / steps)));
      return {
        concurrency,
        itemsPerSecond: round(1000 / perItemWallMs, 0),
        perItemWallMs: round(perItemWallMs, 4),
        perItemCpuMs: round(perItemCpuMs, 4),
        wallVsSerialStep: round(
          paired((sample) => sample.wallMs),
          2,
        ),
        cpuVsSerialStep: round(
          paired((sample) => sample.cpuMs),
          2,
        ),
        roundsItemsPerSecond: samples.map((sample) => round((items * 1000) / sample.wallMs, 0)),
      };
    });
    const floor = {
      serial3WorkflowsPerSample: serialWorkflows,
      stepsPerSecond: round(1000 / serialStepWallMs, 0),
      perStepWallMs: round(serialStepWallMs, 4),
      perStepCpuMs: round(serialStepCpuMs, 4),
      roundsPerStepWallMs: serial.map((sample) => round(sample.wallMs / steps, 4)),
    };
    const targets = Object.fromEntries(
      byConcurrency.map((row) => {
        const worst = Math.max(row.wallVsSerialStep, row.cpuVsSerialStep);
        return [
          `concurrency${row.concurrency}`,
          {
            target: `<= ${TARGET_RATIO}x a serial3 step per item (wall and CPU)`,
            actual: { wall: row.wallVsSerialStep, cpu: row.cpuVsSerialStep },
            met: worst <= TARGET_RATIO,
          },
        ];
      }),
    );
    results = { items, rounds, floor, fanOut: byConcurrency, targets };
    const loadAfter = loadavg().map((value) => round(value, 2));
    results.loadAverage = { before: loadBefore, after: loadAfter };

    console.log(
      `\nfanout (ctx.map over ${items} no-op items, one workflow; floor serial3 one after another; ${rounds} alternating rounds, medians; SQLite synchronous=FULL; load ${loadBefore.join(' ')} → ${loadAfter.join(' ')} on ${cpus().length} cores)`,
    );
    console.log(
      `  ${'floor: serial3, per step'.padEnd(34)} ${`${floor.perStepWallMs} ms`.padStart(12)}   CPU ${floor.perStepCpuMs} ms; ${floor.stepsPerSecond} steps/s`,
    );
    for (const row of byConcurrency)
      console.log(
        `  ${`fan-out, concurrency ${row.concurrency}, per item`.padEnd(34)} ${`${row.perItemWallMs} ms`.padStart(12)}   ${row.wallVsSerialStep}x floor; CPU ${row.perItemCpuMs} ms = ${row.cpuVsSerialStep}x floor; ${row.itemsPerSecond} items/s`,
      );
    for (const [name, target] of Object.entries(targets))
      console.log(`  target ${name.padEnd(20)} ${target.met ? 'met' : 'NOT met'} (${target.target}; wall ${target.actual.wall}x, CPU ${target.actual.cpu}x)`);
  } finally {
    await engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const out = join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'fanout.json'),
    `${JSON.stringify({ date: new Date().toISOString(), store: 'sqlite (temp file, WAL, synchronous=FULL, group commit)', machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` }, ...results }, null, 2)}\n`,
  );
}
