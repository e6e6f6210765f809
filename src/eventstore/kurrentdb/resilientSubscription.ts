import type { ResolvedEvent } from '@kurrent/kurrentdb-client';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { Observable } from 'rxjs';
import type { Logger } from 'winston';
import { EventStoreError, isEventStoreError } from '../errors.js';
import type { RecordedEvent } from '../types.js';
import { toRecordedEvent } from './toRecordedEvent.js';

/** What the adapter needs of a client subscription (the client's `ReadableSubscription`). */
export interface ClientSubscription {
  on(event: 'data', listener: (event: ResolvedEvent) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end' | 'confirmation', listener: () => void): unknown;
  unsubscribe(): Promise<void>;
}

export interface ResilientSubscriptionOptions<Cursor> {
  /** For logs: `$all` or the stream name. */
  name: string;
  /** Deliver events strictly after this cursor; undefined means from the very first event. */
  start: Cursor | undefined;
  /** Opens a client subscription delivering events strictly after `after` (or from the start). */
  open: (after: Cursor | undefined) => ClientSubscription | Promise<ClientSubscription>;
  cursorOf: (event: RecordedEvent) => Cursor;
  /** True when an event lies after the cursor; anything else is a repeat and is dropped. */
  isAfter: (event: RecordedEvent, cursor: Cursor) => boolean;
  translate: (error: unknown) => EventStoreError;
  /** Aborted when the store closes: the subscription then completes. */
  closed: AbortSignal;
  logger: Logger;
  /** Give up (error the observable) after this many failed reconnect attempts in a row (default: never). */
  maxReconnectAttempts?: number;
}

type SessionEnd = 'closed' | 'dropped';

/**
 * Catch-up then live through one KurrentDB subscription, re-opened after the server drops it.
 * The resume point is the last event delivered downstream, so a reconnect neither skips nor
 * repeats an event; anything at or before it that the server sends again is dropped. A session
 * that had been confirmed reconnects at once; failed attempts back off exponentially (cockatiel).
 */
export function resilientSubscription<Cursor>(options: ResilientSubscriptionOptions<Cursor>): Observable<RecordedEvent> {
  return new Observable<RecordedEvent>((subscriber) => {
    const stop = new AbortController();
    const onClosed = () => stop.abort();
    options.closed.addEventListener('abort', onClosed);
    if (options.closed.aborted) stop.abort();
    let cursor = options.start;
    let current: ClientSubscription | undefined;

    const session = async (): Promise<SessionEnd> => {
      if (stop.signal.aborted) return 'closed';
      let subscription: ClientSubscription;
      try {
        subscription = await options.open(cursor);
      } catch (error) {
        if (stop.signal.aborted) return 'closed';
        throw options.translate(error);
      }
      if (stop.signal.aborted) {
        subscription.unsubscribe().catch(() => undefined);
        return 'closed';
      }
      return follow(subscription);
    };

    const follow = (subscription: ClientSubscription): Promise<SessionEnd> =>
      new Promise<SessionEnd>((resolve, reject) => {
        current = subscription;
        let confirmed = false;
        let settled = false;
        const end = (error?: unknown) => {
          if (settled) return;
          settled = true;
          stop.signal.removeEventListener('abort', onAbort);
          current = undefined;
          subscription.unsubscribe().catch(() => undefined);
          if (stop.signal.aborted) return resolve('closed');
          const failure =
            error === undefined
              ? new EventStoreError('STORE_UNAVAILABLE', `KurrentDB ended the subscription to ${options.name}`, { retryable: true })
              : options.translate(error);
          if (confirmed && failure.retryable) {
            options.logger.warn('KurrentDB subscription dropped; resuming after the last delivered event', {
              subscription: options.name,
              after: cursor === undefined ? 'start' : String(cursor),
              reason: failure.message,
            });
            return resolve('dropped');
          }
          reject(failure);
        };
        const onAbort = () => end();
        stop.signal.addEventListener('abort', onAbort);
        subscription.on('confirmation', () => {
          confirmed = true;
        });
        subscription.on('data', (resolved) => {
          if (settled) return;
          try {
            const event = toRecordedEvent(resolved);
            if (event === undefined || (cursor !== undefined && !options.isAfter(event, cursor))) return;
            cursor = options.cursorOf(event);
            subscriber.next(event);
          } catch (error) {
            end(error);
          }
        });
        subscription.on('error', (error) => end(error));
        subscription.on('end', () => end());
      });

    const reconnect = retry(
      handleWhen((error) => isEventStoreError(error) && error.retryable),
      {
        maxAttempts: options.maxReconnectAttempts ?? Number.POSITIVE_INFINITY,
        backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 5_000 }),
      },
    );
    reconnect.onRetry((reason) => {
      const message = 'error' in reason ? reason.error.message : 'unexpected result';
      options.logger.warn('KurrentDB subscription could not (re)connect; retrying', { subscription: options.name, reason: message });
    });

    const run = async () => {
      try {
        while ((await reconnect.execute(session, stop.signal)) === 'dropped');
        subscriber.complete();
      } catch (error) {
        if (stop.signal.aborted) subscriber.complete();
        else subscriber.error(options.translate(error));
      }
    };
    void run();

    return () => {
      options.closed.removeEventListener('abort', onClosed);
      stop.abort();
      current?.unsubscribe().catch(() => undefined);
    };
  });
}
