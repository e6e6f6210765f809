import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { openEventStore, type RecordedEvent } from '../../src/eventstore/index.js';
import type { Acknowledged } from './support/crashWriter.js';

const KILLS = 24;
const folder = mkdtempSync(join(tmpdir(), 'ecl-crash-'));
const dbFile = join(folder, 'crash.db');
const writerScript = join(import.meta.dirname, 'support', 'crashWriter.ts');
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

/** Starts the writer, lets it run a random while after it is ready, SIGKILLs it, and returns what it acknowledged. */
async function runAndKill(delayMs: number): Promise<Acknowledged[]> {
  const acknowledged: Acknowledged[] = [];
  const spawned = spawn(process.execPath, ['--import', 'tsx', writerScript, dbFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = spawned;
  let stderr = '';
  spawned.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => spawned.once('exit', () => resolve()));
  const lines = createInterface({ input: spawned.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    spawned.once('exit', () => reject(new Error(`writer exited before it was ready: ${stderr}`)));
    lines.on('line', (line) => {
      if (line === 'ready') resolve();
      else acknowledged.push(JSON.parse(line) as Acknowledged);
    });
  });
  await ready;
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  process.kill(spawned.pid!, 'SIGKILL');
  await exited;
  // Lines the child wrote before it died are still in the pipe; read them to the end.
  await new Promise<void>((resolve) => (lines.once('close', resolve), spawned.stdout!.readableEnded && resolve()));
  expect(spawned.signalCode).toBe('SIGKILL');
  return acknowledged;
}

function checkLog(log: RecordedEvent[], acknowledged: Acknowledged[]): void {
  log.forEach((event, index) => expect(event.position).toBe(BigInt(index + 1)));
  expect(new Set(log.map((e) => e.id)).size).toBe(log.length);

  const streams = new Map<string, RecordedEvent[]>();
  for (const event of log) streams.set(event.stream, [...(streams.get(event.stream) ?? []), event]);
  for (const events of streams.values()) expect(events.map((e) => e.revision)).toEqual(events.map((_, index) => index));

  const batches = new Map<string, RecordedEvent[]>();
  for (const event of log) {
    const { batch } = event.data as { batch: string };
    batches.set(batch, [...(batches.get(batch) ?? []), event]);
  }
  for (const events of batches.values()) {
    const { size } = events[0]!.data as { size: number };
    expect(events.map((e) => (e.data as { index: number }).index)).toEqual([...Array(size).keys()]);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, index) => events[0]!.revision + index));
    expect(new Set(events.map((e) => e.stream)).size).toBe(1);
  }

  const byId = new Map(log.map((event) => [event.id, event]));
  for (const ack of acknowledged) {
    const found = ack.ids.map((id) => byId.get(id));
    expect(found.map((e) => e?.stream)).toEqual(ack.ids.map(() => ack.stream));
    expect(found.map((e) => e?.revision)).toEqual(ack.ids.map((_, index) => ack.from + index));
    expect(ack.to).toBe(ack.from + ack.ids.length - 1);
  }
}

describe('sqlite store under SIGKILL', () => {
  it(`keeps every acknowledged append, and no partial batch or hole, across ${KILLS} kills`, { timeout: 240_000 }, async () => {
    const acknowledged: Acknowledged[] = [];
    let previousSize = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      acknowledged.push(...(await runAndKill(randomInt(5, 400))));
      const store = await openEventStore(`sqlite:${dbFile}`);
      try {
        const log = await store.readAll();
        checkLog(log, acknowledged);
        expect(log.length).toBeGreaterThanOrEqual(previousSize);
        previousSize = log.length;
      } finally {
        await store.close();
      }
    }
    // The writer resumed from recovered heads each time, so the runs together acknowledged plenty.
    expect(acknowledged.length).toBeGreaterThan(KILLS);
  });
});
