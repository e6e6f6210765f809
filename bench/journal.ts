/**
 * `npm run bench -- journal`: what a journaled call (`ctx.run`) costs beyond the call itself. A
 * step making 20 `ctx.run` calls of a function that does nothing, against the same step making
 * none, one workflow after another on the shipped SQLite store (WAL, synchronous=FULL, group
 * commit) and on the memory store (the engine's CPU alone). The floor, measured in the same run and
 * interleaved with it: 20 single-row better-sqlite3 transactions in the store's own schema and
 * durability — the durable write each call's outcome needs before the step may go on. The same
 * again for a fan-out item's own calls (`call.run`, in the item's journal): one item making 20,
 * against one item making none.
 * Writes bench/results/journal.json.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { type Engine, createEngine } from '../src/actors/index.js';
import { createMemoryArtifactStore } from '../src/artifacts/index.js';
import { type EventStore, createMemoryEventStore, openEventStore } from '../src/eventstore/index.js';
import { prepareDatabase } from '../src/eventstore/sqlite/schema.js';
import { uuidToBytes } from '../src/eventstore/sqlite/uuidBytes.js';
import { createOfflineProvider } from '../src/llm/index.js';
import { createRegistry, defineWorkflow } from '../src/machines/index.js';
import { median } from './_stats.js';
import { silentLogger } from './_silentLogger.js';

const CALLS = 20;
const RUNS = 200;
const WARMUP = 50;

const input = z.object({ calls: z.number().int().min(0), inItem: z.boolean().default(false) });
/**
 * One step making `calls` journaled calls of a function that does nothing but return a small JSON
 * value: its own (`ctx.run`), or, `inItem`, those of the one item of a fan-out (`call.run`).
 */
const journal = defineWorkflow({
  name: 'journal',
  version: 1,
  input,
  steps: [
    {
      kind: 'produce',
      name: 'calls',
      run: async (ctx) => {
        const calls = async (run: typeof ctx.run): Promise<number> => {
          let sum = 0;
          for (let index = 0; index < ctx.input.calls; index++) sum += (await run(`call ${index}`, () => ({ index }))).index;
          return sum;
        };
        if (!ctx.input.inItem) return calls((name, fn) => ctx.run(name, fn));
        const [sum] = await ctx.map('item', [0], (_item, _index, call) => calls((name, fn) => call.run(name, fn)));
        return sum ?? 0;
      },
    },
  ],
});

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

function makeEngine(store: EventStore): Engine {
  return createEngine({
    store,
    llm: createOfflineProvider(),
    artifacts: createMemoryArtifactStore(),
    logger: silentLogger(),
    definitions: createRegistry([journal]),
  });
}

async function runOne(engine: Engine, calls: number, inItem: boolean): Promise<number> {
  const started = performance.now();
  const { workflowId } = await engine.start('journal', { calls, inItem });
  const view = await engine.settled(workflowId);
  if (view.status !== 'completed') throw new Error(`${workflowId} ended ${view.status}`);
  return performance.now() - started;
}

/** 20 single-row transactions (one per call outcome) in the event store's schema and durability: ms. */
function createFloor(path: string): { twentyTransactions: () => number; close: () => void } {
  const db = new Database(path);
  prepareDatabase(db, { synchronous: 'FULL', busyTimeoutMs: 5_000 });
  const createStream = db.prepare('INSERT INTO streams (name) VALUES (?)');
  const insert = db.prepare('INSERT INTO events (stream_id, revision, id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)');
  return {
    twentyTransactions() {
      const started = performance.now();
      const stream = Number(createStream.run(`floor-${randomUUID()}`).lastInsertRowid);
      for (let index = 0; index < CALLS; index++) {
        const data = JSON.stringify({
          v: 1,
          step: 'calls',
          iteration: 1,
          attempt: 1,
          call: `call ${index}`,
          kind: 'run',
          seq: index,
          output: { index },
          durationMs: 0,
        });
        insert.run(stream, index, uuidToBytes(randomUUID()), 'CallCompleted', data, '{}', Date.now());
      }
      return performance.now() - started;
    },
    close: () => db.close(),
  };
}

/** Per-call cost on one store: the step with 20 calls against the step with none, interleaved. */
async function measure(
  engine: Engine,
  floor?: () => number,
): Promise<{ with20: number[]; without: number[]; floor: number[]; item20: number[]; itemNone: number[] }> {
  for (let index = 0; index < WARMUP; index++) {
    await runOne(engine, CALLS, false);
    await runOne(engine, 0, false);
    await runOne(engine, CALLS, true);
    await runOne(engine, 0, true);
    floor?.();
  }
  const with20: number[] = [];
  const without: number[] = [];
  const item20: number[] = [];
  const itemNone: number[] = [];
  const floors: number[] = [];
  for (let index = 0; index < RUNS; index++) {
    with20.push(await runOne(engine, CALLS, false));
    without.push(await runOne(engine, 0, false));
    item20.push(await runOne(engine, CALLS, true));
    itemNone.push(await runOne(engine, 0, true));
    if (floor !== undefined) floors.push(floor());
  }
  return { with20, without, floor: floors, item20, itemNone };
}

export async function main(args: string[]): Promise<void> {
  const at = args.indexOf('--dir');
  const dir = mkdtempSync(join(at >= 0 ? (args[at + 1] ?? tmpdir()) : tmpdir(), 'ecl-bench-journal-'));
  const loadBefore = loadavg().map((value) => round(value, 2));
  const sqlite = await openEventStore(`sqlite:${join(dir, 'journal.db')}`);
  const floorDb = createFloor(join(dir, 'floor.db'));
  const memory = createMemoryEventStore();
  let results: Record<string, unknown>;
  try {
    const onSqlite = makeEngine(sqlite);
    const durable = await measure(onSqlite, floorDb.twentyTransactions);
    await onSqlite.close();
    const inMemory = makeEngine(memory);
    const cpu = await measure(inMemory);
    await inMemory.close();

    const perCall = (with20: number[], without: number[]) => (median(with20) - median(without)) / CALLS;
    const sqlitePerCall = perCall(durable.with20, durable.without);
    const floorPerCall = median(durable.floor) / CALLS;
    const memoryPerCall = perCall(cpu.with20, cpu.without);
    const sqliteItemPerCall = perCall(durable.item20, durable.itemNone);
    const memoryItemPerCall = perCall(cpu.item20, cpu.itemNone);
    results = {
      calls: CALLS,
      runs: RUNS,
      sqlite: {
        stepWith20CallsP50Ms: round(median(durable.with20)),
        stepWithoutCallsP50Ms: round(median(durable.without)),
        perCallMs: round(sqlitePerCall),
        floorPerCallMs: round(floorPerCall),
        perCallBeyondFloorMs: round(sqlitePerCall - floorPerCall),
        perCallVsFloor: round(sqlitePerCall / floorPerCall, 2),
        itemPerCallMs: round(sqliteItemPerCall),
        itemPerCallBeyondFloorMs: round(sqliteItemPerCall - floorPerCall),
      },
      memory: {
        stepWith20CallsP50Ms: round(median(cpu.with20)),
        stepWithoutCallsP50Ms: round(median(cpu.without)),
        perCallMs: round(memoryPerCall),
        itemPerCallMs: round(memoryItemPerCall),
      },
    };
    const targets = {
      overheadBeyondDurableWrite: {
        target: '<= 0.3 ms per call beyond the floor (SQLite)',
        actual: round(sqlitePerCall - floorPerCall),
        met: sqlitePerCall - floorPerCall <= 0.3,
      },
      overheadInMemory: { target: '<= 0.3 ms per call (memory store: the engine alone)', actual: round(memoryPerCall), met: memoryPerCall <= 0.3 },
      itemCallBeyondDurableWrite: {
        target: "<= 0.3 ms per fan-out item's call beyond the floor (SQLite)",
        actual: round(sqliteItemPerCall - floorPerCall),
        met: sqliteItemPerCall - floorPerCall <= 0.3,
      },
    };
    results.targets = targets;
    results.loadAverage = { before: loadBefore, after: loadavg().map((value) => round(value, 2)) };
    console.log(
      `\njournal (a step with ${CALLS} ctx.run calls of a no-op, against the same step with none; ${RUNS} each, one after another; load ${loadBefore.join(' ')} on ${cpus().length} cores)`,
    );
    const rows: [string, string, string][] = [
      ['SQLite: step with 20 calls / none, p50', `${round(median(durable.with20))} / ${round(median(durable.without))} ms`, ''],
      [
        'SQLite: per journaled call',
        `${round(sqlitePerCall)} ms`,
        `floor ${round(floorPerCall)} ms (one 1-row fsync'd transaction); ${round(sqlitePerCall / floorPerCall, 2)}x; beyond it ${round(sqlitePerCall - floorPerCall)} ms`,
      ],
      ['memory: step with 20 calls / none, p50', `${round(median(cpu.with20))} / ${round(median(cpu.without))} ms`, ''],
      ['memory: per journaled call', `${round(memoryPerCall)} ms`, 'the engine alone: journal, machine transition, append, queue'],
      [
        "SQLite: per item's call (call.run)",
        `${round(sqliteItemPerCall)} ms`,
        `one item making 20 against one making none; beyond the floor ${round(sqliteItemPerCall - floorPerCall)} ms`,
      ],
      ["memory: per item's call (call.run)", `${round(memoryItemPerCall)} ms`, ''],
    ];
    for (const [name, value, note] of rows) console.log(`  ${name.padEnd(40)} ${value.padStart(18)}   ${note}`);
    for (const [name, target] of Object.entries(targets))
      console.log(`  target ${name.padEnd(28)} ${target.met ? 'met' : 'NOT met'} (${target.target}; actual ${target.actual})`);
  } finally {
    floorDb.close();
    await sqlite.close();
    await memory.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const out = join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'journal.json'),
    `${JSON.stringify({ date: new Date().toISOString(), store: 'sqlite (temp file, WAL, synchronous=FULL, group commit) and memory', machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` }, ...results }, null, 2)}\n`,
  );
}
