import type { Database } from 'better-sqlite3';

const MAX_CACHED_STREAMS = 100_000;

export interface HeadCache {
  /** Call first thing inside each write transaction. */
  begin(): void;
  /** The cached head, or undefined: then read it from the file and `set` it. */
  get(streamId: number): number | undefined;
  set(streamId: number, head: number): void;
  committed(): void;
  aborted(): void;
}

/**
 * Last revision per stream, kept between group commits so an append needs no head query.
 * It is trusted only while nobody else wrote the file: `PRAGMA data_version` read inside our
 * write transaction changes exactly when another connection (another process) has committed
 * since, and then the cache is dropped. Heads learned in a transaction count only after COMMIT.
 */
export function createHeadCache(db: Database): HeadCache {
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  let trusted = new Map<number, number>();
  let pending = new Map<number, number>();
  let seenVersion: number | undefined;

  return {
    begin() {
      const version = dataVersion.get();
      if (version !== seenVersion || trusted.size > MAX_CACHED_STREAMS) trusted = new Map();
      seenVersion = version;
      pending = new Map();
    },
    get: (streamId) => pending.get(streamId) ?? trusted.get(streamId),
    set(streamId, head) {
      pending.set(streamId, head);
    },
    committed() {
      for (const [streamId, head] of pending) trusted.set(streamId, head);
      pending = new Map();
    },
    aborted() {
      trusted = new Map();
      pending = new Map();
      seenVersion = undefined;
    },
  };
}
