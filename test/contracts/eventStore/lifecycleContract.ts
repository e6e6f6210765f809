import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { events, rejection, type ContractContext } from './context.js';

export function lifecycleContract(ctx: ContractContext): void {
  describe('close', () => {
    it('completes open subscriptions', async () => {
      const store = await ctx.openAnother();
      const stream = ctx.stream('closing');
      await store.append(stream, events(2));
      const all = lastValueFrom(store.subscribeToAll({ filter: { streamPrefixes: [ctx.prefix] } }).pipe(toArray()));
      const one = lastValueFrom(store.subscribeToStream(stream).pipe(toArray()));
      await firstValueFrom(store.subscribeToStream(stream));
      await store.close();
      await expect(all).resolves.toBeInstanceOf(Array);
      await expect(one).resolves.toBeInstanceOf(Array);
    });

    it('rejects every operation after close with STORE_CLOSED, and closes twice without harm', async () => {
      const store = await ctx.openAnother();
      const stream = ctx.stream('closed');
      await store.append(stream, events(1));
      await store.close();
      await store.close();
      await rejection(store.append(stream, events(1)), 'STORE_CLOSED');
      await rejection(store.readStream(stream), 'STORE_CLOSED');
      await rejection(store.readAll(), 'STORE_CLOSED');
      await rejection(store.headPosition(), 'STORE_CLOSED');
      await rejection(firstValueFrom(store.subscribeToAll()), 'STORE_CLOSED');
      await rejection(firstValueFrom(store.subscribeToStream(stream)), 'STORE_CLOSED');
      expect(store.description).toEqual(expect.any(String));
    });
  });
}
