/**
 * `npm run bench -- recovery [--finished 50000] [--sleeping 1000] [--more 20000] [--rounds 3] [--dir <folder>]`:
 * how long `recover()` takes on a store with history, on the shipped SQLite store in a temp folder.
 * The store holds `finished` serial3 workflows (8 events each), then `sleeping` workflows asleep
 * until next year (recover() must find, load and arm each). Restarts, each a new engine calling
 * `recover()`, `rounds` times each:
 *   1. no checkpoint (the whole log is scanned: the first restart after an upgrade);
 *   2. from the checkpoint the previous restart wrote (only the sleepers' part of the log);
 *   3. after an engine ran `more` serial3 workflows more (while the sleepers sleep on), advancing
 *      its checkpoint in the background every 100,000 events (the default).
 * The floor, in the same run: reading the whole log once, page by page (what case 1 scans), and
 * loading the sleepers (reading their streams). Writes bench/results/recovery.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type Engine, createEngine } from '../src/actors/index.js';
import { RECOVERY_STREAM } from '../src/actors/recoveryCheckpoint.js';
import { createMemoryArtifactStore } from '../src/artifacts/index.js';
import { type EventStore, WORKFLOW_CATEGORY, openEventStore, workflowStream } from '../src/eventstore/index.js';
import { createOfflineProvider } from '../src/llm/index.js';
import { createRegistry } from '../src/machines/index.js';
import { serial3 } from './_serial3.js';
import { median } from './_stats.js';
import { argNumber, argText } from './_args.js';
import { silentLogger } from './_silentLogger.js';
import { napper } from './_napper.js';

const IN_FLIGHT = 64;

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
const tenths = (values: readonly number[]): number[] => values.map((value) => round(value));

const makeEngine = (store: EventStore): Engine =>
  createEngine({
    store,
    llm: createOfflineProvider(),
    artifacts: createMemoryArtifactStore(),
    logger: silentLogger(),
    definitions: createRegistry([serial3, napper]),
  });

/** `start(0)` … `start(count - 1)`, `IN_FLIGHT` at once. */
async function runMany(count: number, start: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await start(next++);
    }),
  );
}

async function finishSerial3(engine: Engine, count: number, prefix: string): Promise<void> {
  await runMany(count, async (index) => {
    const { workflowId } = await engine.start('serial3', {}, { id: `${prefix}-${index}` });
    await engine.settled(workflowId);
  });
}

/** One restart: a new engine's `recover()`, timed; every sleeper must come back. */
async function restart(store: EventStore, sleeping: number): Promise<number> {
  const engine = makeEngine(store);
  const started = performance.now();
  const result = await engine.recover();
  const ms = performance.now() - started;
  if (result.resumed.length !== sleeping) throw new Error(`recover() resumed ${result.resumed.length} of ${sleeping} sleepers`);
  await engine.close();
  return ms;
}

/** Makes the next restart scan the whole log: a checkpoint of another schema is ignored. */
const forgetCheckpoint = (store: EventStore) => store.append(RECOVERY_STREAM, [{ type: 'RecoveryCheckpointTaken', data: { schema: 0 } }]);

async function readWholeLog(store: EventStore): Promise<{ ms: number; events: number }> {
  const started = performance.now();
  let from: bigint | 'start' = 'start';
  let events = 0;
  for (;;) {
    const page = await store.readAll({ fromPosition: from, limit: 1_000, filter: { streamPrefixes: [`${WORKFLOW_CATEGORY}-`] } });
    events += page.length;
    const tail = page[page.length - 1];
    if (page.length < 1_000 || tail === undefined) break;
    from = tail.position + 1n;
  }
  return { ms: performance.now() - started, events };
}

async function readStreams(store: EventStore, ids: readonly string[]): Promise<number> {
  const started = performance.now();
  for (const id of ids) await store.readStream(workflowStream(id));
  return performance.now() - started;
}

export async function main(args: string[]): Promise<void> {
  const finished = argNumber(args, 'finished', 50_000);
  const sleeping = argNumber(args, 'sleeping', 1_000);
  const more = argNumber(args, 'more', 20_000);
  const rounds = argNumber(args, 'rounds', 3);
  const loadBefore = loadavg().map((value) => round(value, 2));
  const dir = mkdtempSync(join(argText(args, 'dir') ?? tmpdir(), 'ecl-bench-recovery-'));
  const path = join(dir, 'recovery.db');
  try {
    const store = await openEventStore(`sqlite:${path}`);
    const until = new Date(Date.now() + 365 * 24 * 3600_000).toISOString();
    const sleepers = Array.from({ length: sleeping }, (_, index) => `nap-${index}`);
    let started = performance.now();
    const first = makeEngine(store);
    await finishSerial3(first, finished, 'done');
    await runMany(sleeping, (index) => first.start('napper', { until }, { id: sleepers[index] as string }));
    await first.close();
    const buildMs = performance.now() - started;

    const noCheckpoint: number[] = [];
    const fromCheckpoint: number[] = [];
    const floorLog: number[] = [];
    const floorStreams: number[] = [];
    let logEvents = 0;
    for (let index = 0; index < rounds; index++) {
      await forgetCheckpoint(store);
      const log = await readWholeLog(store);
      floorLog.push(log.ms);
      logEvents = log.events;
      floorStreams.push(await readStreams(store, sleepers));
      noCheckpoint.push(await restart(store, sleeping));
      fromCheckpoint.push(await restart(store, sleeping));
    }

    // Uptime: an engine runs `more` workflows while the sleepers sleep on, then restarts.
    started = performance.now();
    const running = makeEngine(store);
    await running.recover();
    await finishSerial3(running, more, 'more');
    await running.close();
    const moreMs = performance.now() - started;
    const afterUptime: number[] = [];
    for (let index = 0; index < rounds; index++) afterUptime.push(await restart(store, sleeping));
    const finalLog = await readWholeLog(store);
    await store.close();

    const floor = median(floorLog);
    const results = {
      finished,
      sleeping,
      more,
      rounds,
      logEvents,
      logEventsAfterUptime: finalLog.events,
      buildSeconds: round(buildMs / 1000),
      moreSeconds: round(moreMs / 1000),
      floorReadWholeLogMs: round(floor),
      floorReadSleeperStreamsMs: round(median(floorStreams)),
      recoverNoCheckpointMs: round(median(noCheckpoint)),
      recoverFromCheckpointMs: round(median(fromCheckpoint)),
      recoverAfterUptimeMs: round(median(afterUptime)),
      perRound: { noCheckpoint: tenths(noCheckpoint), fromCheckpoint: tenths(fromCheckpoint), afterUptime: tenths(afterUptime) },
      loadAverage: { before: loadBefore, after: loadavg().map((value) => round(value, 2)) },
    };
    console.log(
      `\nrecovery (SQLite; ${finished} finished serial3 workflows, then ${sleeping} asleep until next year: ${logEvents} workflow events; ${rounds} rounds, medians; load ${results.loadAverage.before.join(' ')} → ${results.loadAverage.after.join(' ')} on ${cpus().length} cores)`,
    );
    const rows: [string, string, string][] = [
      ['floor: read the whole log once', `${results.floorReadWholeLogMs} ms`, `${logEvents} events, pages of 1,000`],
      ['floor: read the sleepers\u2019 streams', `${results.floorReadSleeperStreamsMs} ms`, `${sleeping} streams, one by one`],
      [
        'recover(), no checkpoint (whole log)',
        `${results.recoverNoCheckpointMs} ms`,
        `${round(results.recoverNoCheckpointMs / floor, 2)}x the log floor; rounds ${results.perRound.noCheckpoint.join(', ')}`,
      ],
      [
        'recover(), from the checkpoint',
        `${results.recoverFromCheckpointMs} ms`,
        `${round(results.recoverFromCheckpointMs / floor, 3)}x the log floor; rounds ${results.perRound.fromCheckpoint.join(', ')}`,
      ],
      [
        `recover() after ${more} more workflows`,
        `${results.recoverAfterUptimeMs} ms`,
        `log now ${finalLog.events} events; the engine advanced its checkpoint as it ran; rounds ${results.perRound.afterUptime.join(', ')}`,
      ],
    ];
    for (const [name, value, note] of rows) console.log(`  ${name.padEnd(40)} ${value.padStart(12)}   ${note}`);

    const out = join(import.meta.dirname, 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(
      join(out, 'recovery.json'),
      `${JSON.stringify({ date: new Date().toISOString(), store: 'sqlite (temp file, WAL, synchronous=FULL, group commit)', machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` }, ...results }, null, 2)}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
