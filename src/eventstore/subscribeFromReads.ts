import { Observable, type Subscription } from 'rxjs';
import { isStoreClosed } from './errors.js';
import type { RecordedEvent } from './types.js';

/** A hint that something was committed; `streams` (when known) lets stream subscriptions ignore the rest. */
export interface WakeUp {
  streams?: ReadonlySet<string>;
}

export interface CatchUpOptions<Cursor> {
  /** Where delivery starts: events strictly after this cursor. */
  start: Cursor;
  /** Reads up to `limit` events strictly after `cursor`, in order. */
  readPage: (cursor: Cursor, limit: number) => Promise<RecordedEvent[]>;
  /** The cursor just past a delivered event. */
  advance: (event: RecordedEvent) => Cursor;
  /** Commit notifications (in-process and from polling); they only wake the reader. */
  wakeUps: Observable<WakeUp>;
  /** Which wake-ups concern this subscription. */
  concerns?: (wakeUp: WakeUp) => boolean;
  /** Emits once when the store closes: the subscription then completes. */
  closed: Observable<void>;
  pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 1000;

/**
 * Catch-up then live, built only from reads. Notifications never carry data: each wake-up makes
 * the subscriber read again from the last delivered cursor. A commit that lands while a read is in
 * flight marks the subscriber dirty, so it reads once more; gaps and duplicates across the
 * catch-up/live switch are impossible by construction, whatever the timing.
 */
export function subscribeFromReads<Cursor>(options: CatchUpOptions<Cursor>): Observable<RecordedEvent> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  return new Observable<RecordedEvent>((subscriber) => {
    let cursor = options.start;
    let dirty = true;
    let running = false;
    const subscriptions: Subscription[] = [];

    const pump = async (): Promise<void> => {
      if (running) return;
      running = true;
      try {
        while (dirty && !subscriber.closed) {
          dirty = false;
          for (;;) {
            const page = await options.readPage(cursor, pageSize);
            for (const event of page) {
              if (subscriber.closed) return;
              cursor = options.advance(event);
              subscriber.next(event);
            }
            if (page.length < pageSize) break;
          }
        }
      } catch (error) {
        if (isStoreClosed(error)) subscriber.complete();
        else subscriber.error(error);
      } finally {
        running = false;
      }
    };

    // Listen before the first read so a commit racing with it still triggers another read.
    subscriptions.push(
      options.wakeUps.subscribe((wakeUp) => {
        if (options.concerns !== undefined && !options.concerns(wakeUp)) return;
        dirty = true;
        void pump();
      }),
      options.closed.subscribe(() => subscriber.complete()),
    );
    void pump();
    return () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    };
  });
}
