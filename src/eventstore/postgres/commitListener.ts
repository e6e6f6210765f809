import type pg from 'pg';
import { filter, map, merge, Subject, type Observable } from 'rxjs';
import type { Logger } from 'winston';
import type { WakeUp } from '../subscribeFromReads.js';
import { createNotificationListener } from './notificationListener.js';

export interface CommitListenerOptions {
  /** Connection settings of the dedicated listening connection (not taken from the pool). */
  client: pg.ClientConfig;
  /** The `LISTEN` statement, and the store's own origin mark, whose notifications are skipped. */
  listen: string;
  origin: string;
  where: string;
  logger: Logger;
}

export interface CommitListener {
  /** This store's own commits merged with those other stores and processes announce by NOTIFY. */
  readonly wakeUps: Observable<WakeUp>;
  /** Announces a commit of this store (after COMMIT), without waiting for its notification. */
  committed(streams: ReadonlySet<string>): void;
  close(): Promise<void>;
}

const parsePayload = (payload: string): { o?: string; s?: string[] } => {
  try {
    return JSON.parse(payload || '{}') as { o?: string; s?: string[] };
  } catch {
    return {};
  }
};

/**
 * Wakes subscribers. Each append transaction sends `pg_notify` with the streams it touched;
 * notifications are delivered only on commit, in commit order, on the store's one listening
 * connection (notificationListener.ts). Subscribers only ever read "after my cursor", so the
 * wake-up that follows each (re)LISTEN catches up with no gap and no duplicate; it also covers a
 * commit between a subscriber's first read and the listener being ready.
 */
export function createCommitListener(options: CommitListenerOptions): CommitListener {
  const local = new Subject<WakeUp>();
  const listener = createNotificationListener(options);
  const remote = listener.notifications.pipe(
    map((payload) => (payload === undefined ? {} : parsePayload(payload))),
    filter((payload) => !('o' in payload) || payload.o !== options.origin),
    map((payload): WakeUp => (Array.isArray(payload.s) ? { streams: new Set(payload.s) } : {})),
  );
  return {
    wakeUps: merge(local, remote),
    committed: (streams) => local.next({ streams }),
    async close() {
      local.complete();
      await listener.close();
    },
  };
}
