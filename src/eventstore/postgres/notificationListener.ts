import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import pg from 'pg';
import { defer, Subject, type Observable } from 'rxjs';
import type { Logger } from 'winston';
import { describePgError } from './pgErrors.js';

export interface NotificationListenerOptions {
  /** Connection settings of the dedicated listening connection (not taken from a pool). */
  client: pg.ClientConfig;
  /** The `LISTEN` statement. */
  listen: string;
  /** What listens, for the log (password masked). */
  where: string;
  logger: Logger;
}

export interface NotificationListener {
  /**
   * Each notification's payload, and `undefined` each time the connection LISTENs (again):
   * whatever was notified while nobody listened is lost, so a listener reads afresh then.
   * The connection is opened by the first subscriber.
   */
  readonly notifications: Observable<string | undefined>;
  close(): Promise<void>;
}

/**
 * One dedicated connection that LISTENs on a channel, opened when the first subscriber arrives and
 * kept until close. When it drops (server restart, `pg_terminate_backend`, network), it is opened
 * again with exponential backoff (cockatiel), and once it LISTENs again every subscriber is told
 * (`undefined`), so it can catch up by reading: no notification is needed for correctness.
 */
export function createNotificationListener(options: NotificationListenerOptions): NotificationListener {
  const { logger, where } = options;
  const received = new Subject<string | undefined>();
  const stop = new AbortController();
  let running: Promise<void> | undefined;

  const reconnect = retry(handleAll, { maxAttempts: Number.POSITIVE_INFINITY, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 5_000 }) });
  reconnect.onRetry((reason) => {
    const message = 'error' in reason ? describePgError(reason.error) : 'unexpected result';
    logger.warn('PostgreSQL cannot LISTEN; retrying', { store: where, reason: message });
  });

  /** One listening connection: resolves when it ends (to be opened again), throws when it cannot be opened. */
  const session = async (): Promise<void> => {
    const client = new pg.Client(options.client);
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    // Closing ends the connection, even one still connecting.
    const onAbort = () => {
      ended();
      client.end().catch(() => undefined);
    };
    stop.signal.addEventListener('abort', onAbort, { once: true });
    client.on('error', (error) => {
      if (!stop.signal.aborted) logger.warn('PostgreSQL listening connection lost; reconnecting', { store: where, reason: describePgError(error) });
      ended();
    });
    client.on('end', () => ended());
    client.on('notification', (message) => received.next(message.payload ?? ''));
    // Raced against `done`: pg may never settle a connect that `end()` interrupted (a listener
    // closed while still connecting would then wait for it forever).
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
    // Whatever was notified while nobody listened is found by reading now.
    received.next(undefined);
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
    notifications: defer(() => {
      running ??= listen();
      return received;
    }),
    async close() {
      stop.abort();
      received.complete();
      await running;
    },
  };
}
