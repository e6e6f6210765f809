import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import pg from 'pg';
import { defer, merge, Subject, type Observable } from 'rxjs';
import type { Logger } from 'winston';
import type { WakeUp } from '../subscribeFromReads.js';
import { describePgError } from './pgErrors.js';

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

const parsePayload = (payload: string | undefined): { o?: string; s?: string[] } => {
  try {
    return JSON.parse(payload ?? '{}') as { o?: string; s?: string[] };
  } catch {
    return {};
  }
};

/**
 * Wakes subscribers. Each append transaction sends `pg_notify` with the streams it touched;
 * notifications are delivered only on commit, in commit order. One dedicated connection per store
 * LISTENs, opened when the first subscriber arrives and kept until close. When that connection
 * drops (server restart, `pg_terminate_backend`, network), it is opened again with exponential
 * backoff (cockatiel), and once it LISTENs again every subscriber is woken: notifications sent
 * while nobody listened are lost, but subscribers only ever read "after my cursor", so one read
 * catches up with no gap and no duplicate. The same wake-up follows the first LISTEN, covering a
 * commit between a subscriber's first read and the listener being ready.
 */
export function createCommitListener(options: CommitListenerOptions): CommitListener {
  const { logger, where } = options;
  const local = new Subject<WakeUp>();
  const remote = new Subject<WakeUp>();
  const stop = new AbortController();
  let running: Promise<void> | undefined;

  const reconnect = retry(handleAll, { maxAttempts: Number.POSITIVE_INFINITY, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 5_000 }) });
  reconnect.onRetry((reason) => {
    const message = 'error' in reason ? describePgError(reason.error) : 'unexpected result';
    logger.warn('PostgreSQL event store cannot LISTEN; retrying', { store: where, reason: message });
  });

  /** One listening connection: resolves when it ends (to be opened again), throws when it cannot be opened. */
  const session = async (): Promise<void> => {
    const client = new pg.Client(options.client);
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    // Closing the store ends the connection, even one still connecting.
    const onAbort = () => {
      ended();
      client.end().catch(() => undefined);
    };
    stop.signal.addEventListener('abort', onAbort, { once: true });
    client.on('error', (error) => {
      if (!stop.signal.aborted)
        logger.warn('PostgreSQL event store lost its listening connection; reconnecting', { store: where, reason: describePgError(error) });
      ended();
    });
    client.on('end', () => ended());
    client.on('notification', (message) => {
      const { o, s } = parsePayload(message.payload);
      if (o === options.origin) return;
      remote.next(Array.isArray(s) ? { streams: new Set(s) } : {});
    });
    // Raced against `done`: pg may never settle a connect that `end()` interrupted (a store closed
    // while its listener was still connecting would then wait for it forever).
    const opening = client.connect().then(() => client.query(options.listen));
    try {
      const opened = await Promise.race([opening.then(() => true), done.then(() => false)]);
      if (!opened && !stop.signal.aborted) throw new Error('the listening connection ended while it was being opened');
    } catch (error) {
      stop.signal.removeEventListener('abort', onAbort);
      void client.end().catch(() => undefined);
      throw error;
    } finally {
      opening.catch(() => undefined);
    }
    if (stop.signal.aborted) return;
    // Whatever was committed while nobody listened is found by this read.
    remote.next({});
    await done;
    stop.signal.removeEventListener('abort', onAbort);
    // Not awaited: the connection has ended or is ending, and pg may not settle a second end().
    void client.end().catch(() => undefined);
  };

  const listen = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      try {
        await reconnect.execute(session, stop.signal);
      } catch {
        // Only the close aborts the retry.
      }
    }
  };

  return {
    wakeUps: merge(
      local,
      defer(() => {
        running ??= listen();
        return remote;
      }),
    ),
    committed: (streams) => local.next({ streams }),
    async close() {
      stop.abort();
      local.complete();
      remote.complete();
      await running;
    },
  };
}
