import { Subject, firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createStreamHub } from '../../src/api/streamHub.js';
import type { TokenDelta } from '../../src/api/index.js';
import { createMemoryEventStore, type EventStore } from '../../src/eventstore/index.js';

const append = (store: EventStore, stream: string, n: number) =>
  store.append(
    stream,
    Array.from({ length: n }, (_, i) => ({ type: 'Tick', data: { i } })),
  );

function counting(store: EventStore) {
  let subscriptions = 0;
  const counted: EventStore = {
    ...store,
    description: store.description,
    subscribeToStream: (stream, options) => (subscriptions++, store.subscribeToStream(stream, options)),
  };
  for (const key of ['append', 'readStream', 'readAll', 'subscribeToAll', 'headPosition', 'close'] as const)
    (counted as unknown as Record<string, unknown>)[key] = (store[key] as (...args: unknown[]) => unknown).bind(store);
  return { store: counted, subscriptions: () => subscriptions };
}

describe('stream hub', () => {
  it('gives every follower catch-up then live with no gap or duplicate, over one store subscription', async () => {
    const memory = createMemoryEventStore();
    const { store, subscriptions } = counting(memory);
    const hub = createStreamHub(store, new Subject<TokenDelta>());
    await append(memory, 's-1', 3);
    const fromStart = firstValueFrom(hub.follow('s-1', -1).pipe(take(10), toArray()));
    const fromTwo = firstValueFrom(hub.follow('s-1', 1).pipe(take(8), toArray()));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await append(memory, 's-1', 4);
    const late = firstValueFrom(hub.follow('s-1', 5).pipe(take(4), toArray()));
    await append(memory, 's-1', 3);
    expect((await fromStart).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await fromTwo).map((e) => e.revision)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await late).map((e) => e.revision)).toEqual([6, 7, 8, 9]);
    expect(subscriptions()).toBe(1);
    hub.close();
  });

  it('drops the store subscription when the last follower leaves, and routes deltas by workflow', async () => {
    const memory = createMemoryEventStore();
    const { store, subscriptions } = counting(memory);
    const feed = new Subject<TokenDelta>();
    const hub = createStreamHub(store, feed);
    const first = hub.follow('s-2', -1).subscribe();
    await new Promise((resolve) => setTimeout(resolve, 10));
    first.unsubscribe();
    const second = hub.follow('s-2', -1).subscribe();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(subscriptions()).toBe(2);
    second.unsubscribe();

    const seen: string[] = [];
    const deltas = hub.deltas('w-1').subscribe((delta) => seen.push(delta.text));
    feed.next({ workflowId: 'w-2', step: 'draft', iteration: 1, text: 'other' });
    feed.next({ workflowId: 'w-1', step: 'draft', iteration: 1, text: 'mine' });
    deltas.unsubscribe();
    feed.next({ workflowId: 'w-1', step: 'draft', iteration: 1, text: 'after' });
    expect(seen).toEqual(['mine']);
    hub.close();
  });
});
