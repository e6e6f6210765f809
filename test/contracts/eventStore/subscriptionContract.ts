import { firstValueFrom, timeout, filter as where } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../src/eventstore/index.js';
import { collect, event, events, type ContractContext } from './context.js';

/** Appends `rounds` batches of 1–3 events to each stream concurrently, each appender checking its own revision. */
async function appendConcurrently(ctx: ContractContext, streams: string[], rounds: number): Promise<string[]> {
  const written: string[] = [];
  await Promise.all(
    streams.map(async (stream, index) => {
      let expected: number | 'any' = 'any';
      for (let round = 0; round < rounds; round++) {
        const batch = events(1 + ((index + round) % 3), 'Raced');
        expected = (await ctx.store.append(stream, batch, { expectedRevision: expected })).nextExpectedRevision;
        written.push(...batch.map((e) => e.id));
      }
    }),
  );
  return written;
}

function expectOrdered(delivered: RecordedEvent[]): void {
  for (let index = 1; index < delivered.length; index++) expect(delivered[index]!.position).toBeGreaterThan(delivered[index - 1]!.position);
  const byStream = new Map<string, number[]>();
  for (const e of delivered) byStream.set(e.stream, [...(byStream.get(e.stream) ?? []), e.revision]);
  for (const revisions of byStream.values()) expect(revisions).toEqual(revisions.map((_, index) => revisions[0]! + index));
}

export function subscriptionContract(ctx: ContractContext): void {
  describe('subscriptions', () => {
    it('to all: catches up, then goes live, without gap or duplicate while appends race', async () => {
      const streams = Array.from({ length: 8 }, (_, index) => ctx.stream(`sub${index}`));
      const before = await appendConcurrently(ctx, streams.slice(0, 4), 3);
      const mine = { streamPrefixes: [ctx.prefix] };
      const racing = appendConcurrently(ctx, streams, 6);
      const total = before.length + streams.length * 6 * 2;
      const delivering = collect(ctx.store.subscribeToAll({ filter: mine }), total);
      const during = await racing;
      const delivered = await delivering;

      expect(delivered.length).toBe(before.length + during.length);
      expect(new Set(delivered.map((e) => e.id)).size).toBe(delivered.length);
      expect(new Set(delivered.map((e) => e.id))).toEqual(new Set([...before, ...during]));
      expectOrdered(delivered);
      const log = await ctx.store.readAll({ filter: mine });
      expect(delivered.map((e) => e.id)).toEqual(log.map((e) => e.id));
    });

    it('to all: starts strictly after a given position', async () => {
      const stream = ctx.stream('after');
      await ctx.store.append(stream, events(5));
      const log = await ctx.store.readAll({ filter: { streamPrefixes: [ctx.prefix] } });
      const delivering = collect(ctx.store.subscribeToAll({ afterPosition: log[1]!.position, filter: { streamPrefixes: [ctx.prefix] } }), 5);
      await ctx.store.append(stream, events(2));
      const delivered = await delivering;
      expect(delivered.map((e) => e.revision)).toEqual([2, 3, 4, 5, 6]);
    });

    it('to a stream: catches up, then goes live, in revision order while appends race', async () => {
      const stream = ctx.stream('one');
      const other = ctx.stream('other');
      await ctx.store.append(stream, events(5));
      const delivering = collect(ctx.store.subscribeToStream(stream), 5 + 4 * 10);
      await Promise.all([
        ...Array.from({ length: 4 }, async () => {
          for (let round = 0; round < 10; round++) await ctx.store.append(stream, [event('Raced')]);
        }),
        ctx.store.append(other, events(3)),
      ]);
      const delivered = await delivering;
      expect(delivered.map((e) => e.revision)).toEqual([...Array(45).keys()]);
      expect(delivered.every((e) => e.stream === stream)).toBe(true);
      expect(delivered.map((e) => e.id)).toEqual((await ctx.store.readStream(stream)).map((e) => e.id));
    });

    it('to a stream: starts strictly after a given revision, and waits for a stream that does not exist yet', async () => {
      const stream = ctx.stream('later');
      const fromStart = collect(ctx.store.subscribeToStream(stream), 4);
      const afterTwo = collect(ctx.store.subscribeToStream(stream, { afterRevision: 1 }), 2);
      await ctx.store.append(stream, events(2));
      await ctx.store.append(stream, events(2));
      expect((await fromStart).map((e) => e.revision)).toEqual([0, 1, 2, 3]);
      expect((await afterTwo).map((e) => e.revision)).toEqual([2, 3]);
    });

    it('stops delivering after unsubscribe', async () => {
      const stream = ctx.stream('unsub');
      const seen: RecordedEvent[] = [];
      const subscription = ctx.store.subscribeToStream(stream).subscribe((e) => seen.push(e));
      const witness = ctx.store.subscribeToStream(stream);
      await ctx.store.append(stream, events(1));
      await collect(witness, 1);
      await expect.poll(() => seen.length).toBe(1);
      subscription.unsubscribe();
      const later = collect(witness, 3);
      await ctx.store.append(stream, events(2));
      await later;
      expect(seen).toHaveLength(1);
    });

    it('delivers data and metadata exactly as read', async () => {
      const stream = ctx.stream('payload');
      const appended = event('Payload', { text: 'héllo 🌍', list: [1, 2.5, null, true] }, { $correlationId: 'corr', $causationId: 'cause', tenant: 'acme' });
      const delivering = firstValueFrom(
        ctx.store.subscribeToStream(stream).pipe(
          where((e) => e.id === appended.id),
          timeout({ first: 15_000 }),
        ),
      );
      await ctx.store.append(stream, [appended]);
      const delivered = await delivering;
      expect(delivered.data).toEqual(appended.data);
      expect(delivered.metadata).toEqual(appended.metadata);
      expect(delivered).toEqual((await ctx.store.readStream(stream))[0]);
    });
  });
}
