/**
 * `npm run bench -- store [--store <url>] [--seconds <n>] [--events <n>]`: append, read and
 * catch-up throughput of an event store opened through openEventStore (a fresh durable SQLite
 * file by default), with a raw better-sqlite3 floor in the same run when the store is SQLite.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { count as countAll, firstValueFrom, take } from 'rxjs';
import { openEventStore, type EventStore, type EventToAppend } from '../src/eventstore/index.js';
import { createRawFloor, type RawFloor } from './_storeFloor.js';
import { argNumber, argText } from './_args.js';

interface Figure {
  name: string;
  events: number;
  seconds: number;
  perSecond: number;
  note?: string;
}

// ~500 bytes of JSON data, shaped like a recorded workflow step.
const dataOf = (index: number) => ({ workflowId: `wf-${index % 1000}`, step: 'draft', iteration: index % 5, text: 'lorem ipsum '.repeat(38) });
const eventOf = (index: number): EventToAppend => ({ id: randomUUID(), type: 'StepCompleted', data: dataOf(index), metadata: { $correlationId: 'bench' } });

async function timed(name: string, run: () => Promise<number>, note?: string): Promise<Figure> {
  const started = performance.now();
  const events = await run();
  const seconds = (performance.now() - started) / 1000;
  return { name, events, seconds, perSecond: events / seconds, ...(note === undefined ? {} : { note }) };
}

/** One stream, one event per append, each awaited; call it again to continue the same stream. */
function singleStream(store: EventStore): (seconds: number) => Promise<number> {
  const stream = `bench.single-${randomUUID().slice(0, 8)}`;
  let revision: number | 'no_stream' = 'no_stream';
  return async (seconds) => {
    const until = performance.now() + seconds * 1000;
    let appended = 0;
    while (performance.now() < until) {
      revision = (await store.append(stream, [eventOf(appended)], { expectedRevision: revision })).nextExpectedRevision;
      appended++;
    }
    return appended;
  };
}

/** `streams` workflows appending concurrently, each awaiting its own append before the next. */
function concurrentStreams(store: EventStore, streams: number): (seconds: number) => Promise<number> {
  const run = randomUUID().slice(0, 8);
  const revisions: Array<number | 'no_stream'> = Array.from({ length: streams }, () => 'no_stream');
  return async (seconds) => {
    const until = performance.now() + seconds * 1000;
    let appended = 0;
    await Promise.all(
      revisions.map(async (_, index) => {
        while (performance.now() < until) {
          const { nextExpectedRevision } = await store.append(`bench.many-${run}-${index}`, [eventOf(index)], { expectedRevision: revisions[index]! });
          revisions[index] = nextExpectedRevision;
          appended++;
        }
      }),
    );
    return appended;
  };
}

/**
 * Runs ours and the raw floor in alternating slices, so load from anything else on the machine
 * hits both alike; returns [ours, floor] as figures.
 */
async function interleaved(
  name: string,
  floorName: string,
  seconds: number,
  ours: (seconds: number) => Promise<number>,
  floor: ((seconds: number) => number) | undefined,
): Promise<Figure[]> {
  const rounds = 4;
  const totals = { ours: 0, oursSeconds: 0, floor: 0, floorSeconds: 0 };
  for (let round = 0; round < rounds; round++) {
    let started = performance.now();
    totals.ours += await ours(seconds / rounds);
    totals.oursSeconds += (performance.now() - started) / 1000;
    if (floor === undefined) continue;
    started = performance.now();
    totals.floor += floor(seconds / rounds);
    totals.floorSeconds += (performance.now() - started) / 1000;
  }
  const figures: Figure[] = [{ name, events: totals.ours, seconds: totals.oursSeconds, perSecond: totals.ours / totals.oursSeconds }];
  if (floor !== undefined) figures.push({ name: floorName, events: totals.floor, seconds: totals.floorSeconds, perSecond: totals.floor / totals.floorSeconds });
  return figures;
}

async function fillOneStream(store: EventStore, stream: string, total: number): Promise<bigint> {
  for (let done = 0; done < total; done += 500) {
    const batch = Array.from({ length: Math.min(500, total - done) }, (_, index) => eventOf(done + index));
    await store.append(stream, batch);
  }
  // Positions are not contiguous on every store (KurrentDB's are byte offsets): ask for the first one.
  const [first] = await store.readStream(stream, { limit: 1 });
  return first!.position;
}

async function readAllPaged(store: EventStore, from: bigint, total: number, prefix?: string): Promise<number> {
  let read = 0;
  let position = from;
  while (read < total) {
    const page = await store.readAll({
      fromPosition: position,
      limit: Math.min(1000, total - read),
      ...(prefix === undefined ? {} : { filter: { streamPrefixes: [prefix] } }),
    });
    if (page.length === 0) break;
    read += page.length;
    position = page[page.length - 1]!.position + 1n;
  }
  return read;
}

async function readStreamPaged(store: EventStore, stream: string): Promise<number> {
  let read = 0;
  for (;;) {
    const page = await store.readStream(stream, { from: read, limit: 1000 });
    read += page.length;
    if (page.length < 1000) return read;
  }
}

const format = (value: number) => Math.round(value).toLocaleString('en-US');

export async function main(args: string[]): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'ecl-bench-store-'));
  const url = argText(args, 'store') ?? `sqlite:${join(folder, 'bench.db')}`;
  const seconds = argNumber(args, 'seconds', 4);
  const readEvents = argNumber(args, 'events', 100_000);
  const isSqlite = url.startsWith('sqlite:');
  // The machine may be shared: record how busy it was, since durable-write figures swing with load.
  const loadAtStart = loadavg()[0]!;
  const figures: Figure[] = [];
  const store = await openEventStore(url);
  const floor: RawFloor | undefined = isSqlite ? createRawFloor(join(folder, 'floor.db'), JSON.stringify(dataOf(0))) : undefined;
  const ratios: Record<string, number> = {};
  try {
    const [single, singleFloor] = await interleaved(
      'append 1 event to 1 stream, awaited in a loop',
      'raw floor: better-sqlite3, one transaction per row',
      seconds,
      singleStream(store),
      floor && ((slice) => floor.rowPerTransaction(slice)),
    );
    const [many, manyFloor] = await interleaved(
      'append 1 event x 1,000 concurrent streams (group commit)',
      'raw floor: better-sqlite3, 1,000 rows per transaction',
      seconds,
      concurrentStreams(store, 1000),
      floor && ((slice) => floor.batched(slice, 1000)),
    );
    figures.push(single!, many!);
    if (singleFloor !== undefined && manyFloor !== undefined) {
      figures.push(singleFloor, manyFloor);
      ratios.singleStreamOverhead = singleFloor.perSecond / single!.perSecond;
      ratios.groupCommitVsBatchedFloor = manyFloor.perSecond / many!.perSecond;
    }

    const big = `bench.big-${randomUUID().slice(0, 8)}`;
    const first = await fillOneStream(store, big, readEvents);
    figures.push(await timed(`readAll, pages of 1,000, over ${format(readEvents)} events`, () => readAllPaged(store, first, readEvents)));
    figures.push(await timed(`readAll filtered by stream prefix, over ${format(readEvents)} events`, () => readAllPaged(store, first, readEvents, big)));
    figures.push(await timed(`readStream, pages of 1,000, one ${format(readEvents)}-event stream`, () => readStreamPaged(store, big)));
    figures.push(
      await timed(`subscribeToStream catch-up over ${format(readEvents)} events`, async () =>
        firstValueFrom(store.subscribeToStream(big).pipe(take(readEvents), countAll())),
      ),
    );
    figures.push(
      await timed(`subscribeToAll (prefix filter) catch-up over ${format(readEvents)} events`, async () =>
        firstValueFrom(store.subscribeToAll({ afterPosition: first - 1n, filter: { streamPrefixes: [big] } }).pipe(take(readEvents), countAll())),
      ),
    );
  } finally {
    await store.close();
    floor?.close();
  }

  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage1m: { start: loadAtStart, end: loadavg()[0]! },
  };
  const targets = {
    groupCommitEventsPerSecond: { target: 50_000, measured: figures[1]!.perSecond },
    readEventsPerSecond: { target: 300_000, measured: Math.min(...figures.filter((f) => f.name.startsWith('read')).map((f) => f.perSecond)) },
    ...(ratios.singleStreamOverhead === undefined ? {} : { singleStreamOverheadRatio: { target: 1.5, measured: ratios.singleStreamOverhead } }),
  };

  console.log(
    `\nEvent store benchmark, ${url.replace(/\/\/[^/@]*@/, '//***@')} (${machine.cpus} CPUs, node ${machine.node}, load ${loadAtStart.toFixed(1)} -> ${machine.loadAverage1m.end.toFixed(1)})`,
  );
  console.table(figures.map((f) => ({ measure: f.name, 'events/s': format(f.perSecond), events: f.events, seconds: f.seconds.toFixed(2) })));
  if (ratios.singleStreamOverhead !== undefined) {
    console.log(`single-stream overhead vs raw floor: ${ratios.singleStreamOverhead.toFixed(2)}x (target <= 1.5x)`);
    console.log(`raw batched floor / our group commit: ${ratios.groupCommitVsBatchedFloor!.toFixed(2)}x`);
  }
  for (const [name, { target, measured }] of Object.entries(targets)) {
    const met = name.endsWith('Ratio') ? measured <= target : measured >= target;
    const shown = (value: number) => (name.endsWith('Ratio') ? `${value.toFixed(2)}x` : `${format(value)}/s`);
    console.log(`${met ? 'MET ' : 'MISS'} ${name}: ${shown(measured)} (target ${name.endsWith('Ratio') ? '<=' : '>='} ${shown(target)})`);
  }

  const results = {
    date: new Date().toISOString(),
    store: url.startsWith('sqlite:') ? 'sqlite (temp file, synchronous=FULL, WAL)' : url.replace(/\/\/[^/@]*@/, '//***@'),
    machine,
    seconds,
    figures,
    ratios,
    targets,
  };
  const out = join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'store.json'), `${JSON.stringify(results, null, 2)}\n`);
  rmSync(folder, { recursive: true, force: true });
}
