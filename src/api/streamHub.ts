import { Observable, Subject, type Subscription } from 'rxjs';
import type { EventStore, RecordedEvent } from '../eventstore/index.js';
import type { TokenDelta } from './ports.js';

interface Hub {
  live: Subject<RecordedEvent>;
  source: Subscription;
  followers: number;
}

export interface StreamHub {
  /**
   * One stream's events strictly after `afterRevision`: catch-up then live, no gap, no duplicate.
   * Followers of the same stream share one store subscription, so a thousand SSE clients of one
   * workflow cost the store one reader, not a thousand.
   */
  follow(stream: string, afterRevision: number): Observable<RecordedEvent>;
  /** Live token deltas of one workflow, routed from one subscription to the runtime's feed. */
  deltas(workflowId: string): Observable<TokenDelta>;
  close(): void;
}

export function createStreamHub(store: EventStore, deltaFeed: Observable<TokenDelta>): StreamHub {
  const hubs = new Map<string, Hub>();
  const deltaListeners = new Map<string, Set<(delta: TokenDelta) => void>>();
  let deltaSource: Subscription | undefined;

  const hubFor = async (stream: string): Promise<Hub> => {
    const existing = hubs.get(stream);
    if (existing !== undefined) return existing;
    const live = new Subject<RecordedEvent>();
    const hub: Hub = { live, source: undefined as unknown as Subscription, followers: 0 };
    hubs.set(stream, hub);
    const [last] = await store.readStream(stream, { direction: 'backwards', limit: 1 });
    // Every follower may have left while the head was read: then nothing is subscribed.
    if (hubs.get(stream) !== hub) return hub;
    hub.source = store.subscribeToStream(stream, last === undefined ? {} : { afterRevision: last.revision }).subscribe(live);
    return hub;
  };
  const release = (stream: string, hub: Hub) => {
    hub.followers -= 1;
    if (hub.followers > 0 || hubs.get(stream) !== hub) return;
    hubs.delete(stream);
    hub.source?.unsubscribe();
    hub.live.complete();
  };

  return {
    follow: (stream, afterRevision) =>
      new Observable<RecordedEvent>((subscriber) => {
        let delivered = afterRevision;
        let caughtUp = false;
        const buffered: RecordedEvent[] = [];
        let hub: Hub | undefined;
        let attached: Subscription | undefined;
        let closed = false;
        let counted = false;
        const deliver = (event: RecordedEvent) => {
          if (event.revision <= delivered) return;
          delivered = event.revision;
          subscriber.next(event);
        };
        void (async () => {
          try {
            hub = await hubFor(stream);
            hub.followers += 1;
            counted = true;
            if (closed) {
              counted = false;
              return release(stream, hub);
            }
            // Attach first, then read: whatever the hub emits meanwhile is buffered, and revisions dedupe the overlap.
            attached = hub.live.subscribe({
              next: (event) => (caughtUp ? deliver(event) : buffered.push(event)),
              error: (error: unknown) => subscriber.error(error),
              complete: () => subscriber.complete(),
            });
            for (;;) {
              const page = await store.readStream(stream, { from: delivered + 1, limit: 1000 });
              for (const event of page) deliver(event);
              if (page.length < 1000 || closed) break;
            }
            for (const event of buffered.splice(0)) deliver(event);
            caughtUp = true;
          } catch (error) {
            subscriber.error(error);
          }
        })();
        return () => {
          closed = true;
          attached?.unsubscribe();
          if (hub !== undefined && counted) release(stream, hub);
        };
      }),

    deltas: (workflowId) =>
      new Observable<TokenDelta>((subscriber) => {
        deltaSource ??= deltaFeed.subscribe((delta) => deltaListeners.get(delta.workflowId)?.forEach((listener) => listener(delta)));
        const listener = (delta: TokenDelta) => subscriber.next(delta);
        let listeners = deltaListeners.get(workflowId);
        if (listeners === undefined) deltaListeners.set(workflowId, (listeners = new Set()));
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
          if (listeners.size === 0) deltaListeners.delete(workflowId);
        };
      }),

    close() {
      for (const [stream, hub] of hubs) {
        hubs.delete(stream);
        hub.source?.unsubscribe();
        hub.live.complete();
      }
      deltaSource?.unsubscribe();
      deltaListeners.clear();
    },
  };
}
