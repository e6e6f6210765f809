import { describe, expect, it } from 'vitest';
import { event, events, type ContractContext } from './context.js';

export function readContract(ctx: ContractContext): void {
  describe('reads', () => {
    it('reads a stream that does not exist as empty', async () => {
      expect(await ctx.store.readStream(ctx.stream('missing'))).toEqual([]);
      expect(await ctx.store.readStream(ctx.stream('missing'), { direction: 'backwards' })).toEqual([]);
    });

    it('reads a stream forwards and backwards, from a revision, with a limit', async () => {
      const stream = ctx.stream('window');
      await ctx.store.append(stream, events(10));
      const revisions = async (options: Parameters<typeof ctx.store.readStream>[1]) => (await ctx.store.readStream(stream, options)).map((e) => e.revision);
      expect(await revisions({})).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await revisions({ from: 4, limit: 3 })).toEqual([4, 5, 6]);
      expect(await revisions({ from: 8, limit: 5 })).toEqual([8, 9]);
      expect(await revisions({ from: 'start', limit: 2 })).toEqual([0, 1]);
      expect(await revisions({ from: 10 })).toEqual([]);
      expect(await revisions({ direction: 'backwards' })).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      expect(await revisions({ direction: 'backwards', limit: 3 })).toEqual([9, 8, 7]);
      expect(await revisions({ direction: 'backwards', from: 'end', limit: 1 })).toEqual([9]);
      expect(await revisions({ direction: 'backwards', from: 5, limit: 2 })).toEqual([5, 4]);
      expect(await revisions({ direction: 'backwards', from: 1 })).toEqual([1, 0]);
      expect(await revisions({ limit: 0 })).toEqual([]);
    });

    it('reads the global log in one strictly increasing order across streams', async () => {
      const [a, b, c] = [ctx.stream('a'), ctx.stream('b'), ctx.stream('c')];
      const plan: Array<[string, number]> = [
        [a, 2],
        [b, 1],
        [a, 1],
        [c, 3],
        [b, 2],
      ];
      const expected: string[] = [];
      for (const [stream, count] of plan) {
        const batch = events(count);
        await ctx.store.append(stream, batch);
        expected.push(...batch.map((e) => e.id));
      }
      const all = await ctx.store.readAll({ filter: { streamPrefixes: [ctx.prefix] } });
      expect(all.map((e) => e.id)).toEqual(expected);
      for (let index = 1; index < all.length; index++) expect(all[index]!.position).toBeGreaterThan(all[index - 1]!.position);
      expect(all.filter((e) => e.stream === a).map((e) => e.revision)).toEqual([0, 1, 2]);

      const head = await ctx.store.headPosition();
      expect(head).not.toBeNull();
      expect(head!).toBeGreaterThanOrEqual(all[all.length - 1]!.position);
    });

    it('reads the global log from a position (inclusive), backwards, with a limit', async () => {
      const stream = ctx.stream('all');
      await ctx.store.append(stream, events(6));
      const mine = { streamPrefixes: [ctx.prefix] };
      const all = await ctx.store.readAll({ filter: mine });
      const positions = all.map((e) => e.position);
      expect(all.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);

      const from = await ctx.store.readAll({ fromPosition: positions[2]!, limit: 2, filter: mine });
      expect(from.map((e) => e.revision)).toEqual([2, 3]);
      const backwards = await ctx.store.readAll({ direction: 'backwards', limit: 4, filter: mine });
      expect(backwards.map((e) => e.revision)).toEqual([5, 4, 3, 2]);
      const backFrom = await ctx.store.readAll({ direction: 'backwards', fromPosition: positions[3]!, limit: 10, filter: mine });
      expect(backFrom.map((e) => e.revision)).toEqual([3, 2, 1, 0]);
      const fromEnd = await ctx.store.readAll({ direction: 'backwards', fromPosition: 'end', limit: 1, filter: mine });
      expect(fromEnd.map((e) => e.id)).toEqual([all[5]!.id]);
    });

    it('filters the global log by stream prefixes', async () => {
      const orders = `${ctx.prefix}.order`;
      const invoices = `${ctx.prefix}.invoice`;
      const o1 = `${orders}-1`;
      const i1 = `${invoices}-1`;
      const s1 = `${ctx.prefix}.shipment-1`;
      await ctx.store.append(o1, [event('Ordered')]);
      await ctx.store.append(i1, [event('Invoiced')]);
      await ctx.store.append(s1, [event('Shipped')]);
      await ctx.store.append(o1, [event('Paid')]);
      const types = async (streamPrefixes: string[]) => (await ctx.store.readAll({ filter: { streamPrefixes } })).map((e) => e.type);
      expect(await types([orders])).toEqual(['Ordered', 'Paid']);
      expect(await types([orders, invoices])).toEqual(['Ordered', 'Invoiced', 'Paid']);
      expect(await types([ctx.prefix])).toEqual(['Ordered', 'Invoiced', 'Shipped', 'Paid']);
      expect(await types([`${ctx.prefix}.nothing`])).toEqual([]);
      const last = await ctx.store.readAll({ direction: 'backwards', limit: 1, filter: { streamPrefixes: [invoices, `${ctx.prefix}.shipment`] } });
      expect(last.map((e) => e.type)).toEqual(['Shipped']);
    });
  });
}
