import type { Database } from 'better-sqlite3';
import { EMPTY, map, merge, Observable, share, Subject } from 'rxjs';
import type { WakeUp } from '../subscribeFromReads.js';

export interface CommitNotifier {
  /** In-process commits (with their streams) merged with commits polled from other connections. */
  readonly wakeUps: Observable<WakeUp>;
  committed(streams: ReadonlySet<string>): void;
  close(): void;
}

/**
 * Wakes subscribers. Our own commits are announced directly; commits by other processes (or other
 * connections) are noticed by polling `PRAGMA data_version`, which changes only when another
 * connection commits, or at once when that connection's thread says so (`commitsElsewhere`).
 * Polling runs only while someone is subscribed, and keeps the process alive then, as a watcher
 * of another process's writes needs.
 */
export function createCommitNotifier(
  db: Database,
  pollIntervalMs: number,
  onPollError: (error: unknown) => void,
  commitsElsewhere: Observable<void> = EMPTY,
): CommitNotifier {
  const local = new Subject<WakeUp>();
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  const polled = new Observable<WakeUp>((subscriber) => {
    let last = dataVersion.get();
    const timer = setInterval(() => {
      try {
        const now = dataVersion.get();
        if (now !== last) {
          last = now;
          subscriber.next({});
        }
      } catch (error) {
        onPollError(error);
      }
    }, pollIntervalMs);
    return () => clearInterval(timer);
  });
  const elsewhere = commitsElsewhere.pipe(map((): WakeUp => ({})));
  const wakeUps = merge(local, polled, elsewhere).pipe(share({ resetOnRefCountZero: true }));

  return {
    wakeUps,
    committed: (streams) => local.next({ streams }),
    close: () => local.complete(),
  };
}
