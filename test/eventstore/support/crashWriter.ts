/**
 * Child process for the crash-safety test: appends multi-event batches to several streams
 * concurrently, each with its exact expected revision, and prints one JSON line per append the
 * store acknowledged. It runs until killed. Usage: node --import tsx crashWriter.ts <db file>
 */
import { randomInt, randomUUID } from 'node:crypto';
import { openEventStore } from '../../../src/eventstore/index.js';

export interface Acknowledged {
  stream: string;
  from: number;
  to: number;
  ids: string[];
}

export const CRASH_STREAMS = Array.from({ length: 8 }, (_, index) => `crash.stream-${index}`);
const WRITERS = 4;

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crashWriter.ts <db file>');
const store = await openEventStore(`sqlite:${path}`);

async function writeForever(streams: string[]): Promise<never> {
  const heads = new Map<string, number>();
  for (const stream of streams) {
    const [last] = await store.readStream(stream, { direction: 'backwards', limit: 1 });
    heads.set(stream, last?.revision ?? -1);
  }
  for (;;) {
    const stream = streams[randomInt(streams.length)]!;
    const head = heads.get(stream)!;
    const batch = randomUUID();
    const size = 1 + randomInt(6);
    const events = Array.from({ length: size }, (_, index) => ({
      id: randomUUID(),
      type: 'CrashTested',
      data: { batch, index, size, filler: 'z'.repeat(randomInt(2_000)) },
    }));
    const result = await store.append(stream, events, { expectedRevision: head < 0 ? 'no_stream' : head });
    heads.set(stream, result.nextExpectedRevision);
    const ack: Acknowledged = { stream, from: head + 1, to: result.nextExpectedRevision, ids: events.map((e) => e.id) };
    process.stdout.write(`${JSON.stringify(ack)}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: WRITERS }, (_, writer) => writeForever(CRASH_STREAMS.filter((_, index) => index % WRITERS === writer))));
