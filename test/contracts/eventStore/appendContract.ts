import { describe, expect, it } from 'vitest';
import { event, events, rejection, type ContractContext } from './context.js';

export function appendContract(ctx: ContractContext): void {
  describe('append', () => {
    it('numbers revisions from 0 and reports the last revision and position', async () => {
      const stream = ctx.stream('revisions');
      const batch = [event('Opened', { n: 1 }, { $correlationId: 'c-1' }), event('Renamed', { name: 'x' })];
      const first = await ctx.store.append(stream, batch);
      expect(first.nextExpectedRevision).toBe(1);
      const second = await ctx.store.append(stream, [event('Closed')], { expectedRevision: 1 });
      expect(second.nextExpectedRevision).toBe(2);
      expect(second.position).toBeGreaterThan(first.position);

      const read = await ctx.store.readStream(stream);
      expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
      expect(read.map((e) => e.id)).toEqual([...batch.map((e) => e.id), read[2]!.id]);
      expect(read.map((e) => e.type)).toEqual(['Opened', 'Renamed', 'Closed']);
      expect(read.every((e) => e.stream === stream && e.created instanceof Date)).toBe(true);
      expect(read[0]!.data).toEqual({ n: 1 });
      expect(read[0]!.metadata).toEqual({ $correlationId: 'c-1' });
      expect(read[1]!.metadata).toEqual({});
      expect(read[1]!.position).toBe(first.position);
      expect(read[2]!.position).toBe(second.position);
      expect(read[0]!.position).toBeLessThan(read[1]!.position);
    });

    it("accepts 'no_stream' only for a stream that does not exist", async () => {
      const stream = ctx.stream('nostream');
      await expect(ctx.store.append(stream, events(2), { expectedRevision: 'no_stream' })).resolves.toMatchObject({ nextExpectedRevision: 1 });
      const error = await rejection(ctx.store.append(stream, events(1), { expectedRevision: 'no_stream' }), 'WRONG_EXPECTED_REVISION');
      expect(error).toMatchObject({ stream, expected: 'no_stream', actual: 1 });
    });

    it("accepts 'stream_exists' only for a stream that exists", async () => {
      const stream = ctx.stream('exists');
      const error = await rejection(ctx.store.append(stream, events(1), { expectedRevision: 'stream_exists' }), 'WRONG_EXPECTED_REVISION');
      expect(error).toMatchObject({ stream, expected: 'stream_exists', actual: 'no_stream' });
      await ctx.store.append(stream, events(1));
      await expect(ctx.store.append(stream, events(1), { expectedRevision: 'stream_exists' })).resolves.toMatchObject({ nextExpectedRevision: 1 });
    });

    it('accepts an exact revision only when it is the revision of the last event', async () => {
      const stream = ctx.stream('exact');
      const missing = await rejection(ctx.store.append(stream, events(1), { expectedRevision: 0 }), 'WRONG_EXPECTED_REVISION');
      expect(missing).toMatchObject({ expected: 0, actual: 'no_stream' });
      await ctx.store.append(stream, events(3), { expectedRevision: 'no_stream' });
      for (const wrong of [0, 1, 3, 7]) {
        const error = await rejection(ctx.store.append(stream, events(1), { expectedRevision: wrong }), 'WRONG_EXPECTED_REVISION');
        expect(error).toMatchObject({ stream, expected: wrong, actual: 2 });
      }
      await expect(ctx.store.append(stream, events(2), { expectedRevision: 2 })).resolves.toMatchObject({ nextExpectedRevision: 4 });
      expect(await ctx.store.readStream(stream)).toHaveLength(5);
    });

    it("appends with 'any' (the default) whatever the stream's state", async () => {
      const stream = ctx.stream('any');
      await expect(ctx.store.append(stream, events(1), { expectedRevision: 'any' })).resolves.toMatchObject({ nextExpectedRevision: 0 });
      await expect(ctx.store.append(stream, events(2))).resolves.toMatchObject({ nextExpectedRevision: 2 });
      await expect(ctx.store.append(stream, events(1), { expectedRevision: 'any' })).resolves.toMatchObject({ nextExpectedRevision: 3 });
    });

    it('lets exactly one of several concurrent appenders with the same expected revision win', async () => {
      for (let round = 0; round < 8; round++) {
        const stream = ctx.stream(`race${round}`);
        await ctx.store.append(stream, events(1));
        const contenders = Array.from({ length: 2 + (round % 4) }, () => events(1 + (round % 3)));
        const outcomes = await Promise.allSettled(contenders.map((batch) => ctx.store.append(stream, batch, { expectedRevision: 0 })));
        const winners = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
        expect(winners).toHaveLength(1);
        const winner = contenders[winners[0]!]!;
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            expect(outcome.reason).toMatchObject({ code: 'WRONG_EXPECTED_REVISION', expected: 0, actual: winner.length });
          }
        }
        const read = await ctx.store.readStream(stream);
        expect(read.slice(1).map((e) => e.id)).toEqual(winner.map((e) => e.id));
      }
    });

    it('keeps many concurrent appenders on different streams apart and contiguous', async () => {
      const streams = Array.from({ length: 20 }, (_, index) => ctx.stream(`fan${index}`));
      await Promise.all(
        streams.map(async (stream) => {
          let expected: number | 'no_stream' = 'no_stream';
          for (let round = 0; round < 5; round++) {
            expected = (await ctx.store.append(stream, events(2), { expectedRevision: expected })).nextExpectedRevision;
          }
        }),
      );
      for (const stream of streams) {
        expect((await ctx.store.readStream(stream)).map((e) => e.revision)).toEqual([...Array(10).keys()]);
      }
    });

    it('treats re-appending the same ids at the same expected revision as done, returning the original result', async () => {
      const stream = ctx.stream('idem');
      const opening = [event('A'), event('B')];
      const opened = await ctx.store.append(stream, opening, { expectedRevision: 'no_stream' });
      await expect(ctx.store.append(stream, opening, { expectedRevision: 'no_stream' })).resolves.toEqual(opened);

      const next = [event('C'), event('D')];
      const appended = await ctx.store.append(stream, next, { expectedRevision: 1 });
      await expect(ctx.store.append(stream, next, { expectedRevision: 1 })).resolves.toEqual(appended);

      const tail = [event('E')];
      const anyResult = await ctx.store.append(stream, tail, { expectedRevision: 'any' });
      await expect(ctx.store.append(stream, tail, { expectedRevision: 'any' })).resolves.toEqual(anyResult);
      await expect(ctx.store.append(stream, tail)).resolves.toEqual(anyResult);

      // A retry that comes after the stream moved on is still recognised by its exact revision.
      await expect(ctx.store.append(stream, next, { expectedRevision: 1 })).resolves.toEqual(appended);

      const read = await ctx.store.readStream(stream);
      expect(read.map((e) => e.type)).toEqual(['A', 'B', 'C', 'D', 'E']);
      const all = await ctx.store.readAll({ filter: { streamPrefixes: [ctx.prefix] } });
      expect(all.map((e) => e.type)).toEqual(['A', 'B', 'C', 'D', 'E']);
    });

    it('the same event id appended to two different streams is accepted in both', async () => {
      const shared = event('Shared');
      const [first, second, third] = [ctx.stream('same-id-a'), ctx.stream('same-id-b'), ctx.stream('same-id-c')];
      const inFirst = await ctx.store.append(first, [shared], { expectedRevision: 'no_stream' });
      const inSecond = await ctx.store.append(second, [shared], { expectedRevision: 'no_stream' });
      await ctx.store.append(third, events(1));
      const inThird = await ctx.store.append(third, [shared, event('After')], { expectedRevision: 'any' });
      expect(inSecond.position).toBeGreaterThan(inFirst.position);
      expect(inThird.nextExpectedRevision).toBe(2);

      // Idempotency stays per stream: each re-append is recognised in its own stream only.
      await expect(ctx.store.append(first, [shared], { expectedRevision: 'no_stream' })).resolves.toEqual(inFirst);
      await expect(ctx.store.append(second, [shared], { expectedRevision: 'any' })).resolves.toEqual(inSecond);
      const all = await ctx.store.readAll({ filter: { streamPrefixes: [ctx.prefix] } });
      expect(all.filter((e) => e.id === shared.id).map((e) => [e.stream, e.revision])).toEqual([
        [first, 0],
        [second, 0],
        [third, 1],
      ]);
    });

    it("treats an 'any' re-append whose first id is stored but whose batch differs as a conflict", async () => {
      const stream = ctx.stream('corrupted');
      const [a, b] = [event('A'), event('B')];
      await ctx.store.append(stream, [a, b]);
      const error = await rejection(ctx.store.append(stream, [a, event('Other')], { expectedRevision: 'any' }), 'WRONG_EXPECTED_REVISION');
      expect(error).toMatchObject({ stream, expected: 'any', actual: 1 });
      expect((await ctx.store.readStream(stream)).map((e) => e.id)).toEqual([a.id, b.id]);
    });

    it('writes nothing of a batch whose expected revision conflicts', async () => {
      const stream = ctx.stream('atomic');
      await ctx.store.append(stream, events(2));
      await rejection(ctx.store.append(stream, events(5), { expectedRevision: 0 }), 'WRONG_EXPECTED_REVISION');
      await rejection(ctx.store.append(stream, events(3), { expectedRevision: 'no_stream' }), 'WRONG_EXPECTED_REVISION');
      expect(await ctx.store.readStream(stream)).toHaveLength(2);
      expect(await ctx.store.readAll({ filter: { streamPrefixes: [ctx.prefix] } })).toHaveLength(2);
    });
  });
}
