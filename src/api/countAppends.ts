import { performance } from 'node:perf_hooks';
import type { EventStore, EventToAppend } from '../eventstore/index.js';

export interface AppendStats {
  appends: number;
  events: number;
  failures: number;
}

/** One settled append: its stream and events, whether it succeeded, and how long it took in seconds. */
export interface AppendObservation {
  stream: string;
  events: readonly EventToAppend[];
  ok: boolean;
  seconds: number;
}

export type AppendListener = (append: AppendObservation) => void;

/**
 * Wraps a store to count appends for /metrics and to tell `onAppended` of each one (the projection
 * worker reads at once); everything else passes straight through. `observe` adds a listener told
 * of every append from then on (the API's histograms: append time, step and model-call latency).
 */
export function countAppends(
  store: EventStore,
  onAppended: () => void = () => {},
): { store: EventStore; stats: () => AppendStats; observe: (listener: AppendListener) => () => void } {
  const stats: AppendStats = { appends: 0, events: 0, failures: 0 };
  const listeners = new Set<AppendListener>();
  const tell = (append: AppendObservation) => {
    // A listener's fault must not turn an append the store accepted into an error the engine sees.
    for (const listener of listeners)
      try {
        listener(append);
      } catch {
        /* metrics only */
      }
  };
  const counted: EventStore = {
    get description() {
      return store.description;
    },
    async append(stream, events, options) {
      const started = performance.now();
      try {
        const result = await store.append(stream, events, options);
        stats.appends += 1;
        stats.events += events.length;
        onAppended();
        if (listeners.size > 0) tell({ stream, events, ok: true, seconds: (performance.now() - started) / 1000 });
        return result;
      } catch (error) {
        stats.failures += 1;
        if (listeners.size > 0) tell({ stream, events, ok: false, seconds: (performance.now() - started) / 1000 });
        throw error;
      }
    },
    readStream: (stream, options) => store.readStream(stream, options),
    readAll: (options) => store.readAll(options),
    subscribeToAll: (options) => store.subscribeToAll(options),
    subscribeToStream: (stream, options) => store.subscribeToStream(stream, options),
    headPosition: () => store.headPosition(),
    close: () => store.close(),
  };
  return {
    store: counted,
    stats: () => ({ ...stats }),
    observe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
