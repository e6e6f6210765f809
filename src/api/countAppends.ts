import type { EventStore } from '../eventstore/index.js';

export interface AppendStats {
  appends: number;
  events: number;
  failures: number;
}

/**
 * Wraps a store to count appends for /metrics and to tell `onAppended` of each one (the projection
 * worker reads at once); everything else passes straight through.
 */
export function countAppends(store: EventStore, onAppended: () => void = () => {}): { store: EventStore; stats: () => AppendStats } {
  const stats: AppendStats = { appends: 0, events: 0, failures: 0 };
  const counted: EventStore = {
    get description() {
      return store.description;
    },
    async append(stream, events, options) {
      try {
        const result = await store.append(stream, events, options);
        stats.appends += 1;
        stats.events += events.length;
        onAppended();
        return result;
      } catch (error) {
        stats.failures += 1;
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
  return { store: counted, stats: () => ({ ...stats }) };
}
