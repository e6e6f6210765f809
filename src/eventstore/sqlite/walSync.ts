import * as fs from 'node:fs';

export interface WalSync {
  /** Calls `done` once everything committed so far is on disk (or with the error that stopped it). */
  afterCommit(done: (error?: Error) => void): void;
  /** Syncs now, on this thread, and answers every waiting commit (used by close). */
  syncNow(): void;
  /** Waits for a sync in flight, then releases the file. */
  close(): Promise<void>;
}

/** The two calls it makes on the file (node:fs; a test holds them back). */
export interface FileSync {
  fsync(fd: number, callback: (error: NodeJS.ErrnoException | null) => void): void;
  fsyncSync(fd: number): void;
}

/**
 * Durability without blocking the event loop. The connection commits with synchronous=NORMAL
 * (WAL frames written, not fsynced) and this fsyncs the WAL file on libuv's thread pool before any
 * caller of a commit is answered: the guarantee of synchronous=FULL, whose fsync better-sqlite3
 * would run on the event loop (0.2–2.5 ms here, during which nothing else runs). Commits that land
 * while an fsync runs share the next one. The WAL is append-only between checkpoints and SQLite
 * recovers a prefix of it ending at a commit frame, so syncing the whole file after a commit makes
 * that commit and every earlier one durable.
 *
 * Returns undefined when the WAL file cannot be opened; the caller then keeps synchronous=FULL.
 * `io` is for tests.
 */
export function openWalSync(walPath: string, io: FileSync = fs): WalSync | undefined {
  let fd: number;
  try {
    fd = fs.openSync(walPath, 'r+');
  } catch {
    return undefined;
  }
  let waiting: Array<(error?: Error) => void> = [];
  let inFlight: Promise<void> | undefined;
  let closed = false;

  const answer = (batch: Array<(error?: Error) => void>, error?: Error) => {
    for (const done of batch) done(error ?? undefined);
  };
  const start = (): void => {
    const batch = waiting;
    waiting = [];
    inFlight = new Promise<void>((resolve) =>
      io.fsync(fd, (error) => {
        inFlight = undefined;
        answer(batch, error ?? undefined);
        resolve();
        if (waiting.length > 0 && !closed) start();
      }),
    );
  };

  return {
    afterCommit(done) {
      waiting.push(done);
      if (inFlight === undefined) start();
    },
    syncNow() {
      if (waiting.length === 0) return;
      const batch = waiting;
      waiting = [];
      try {
        io.fsyncSync(fd);
        answer(batch);
      } catch (error) {
        answer(batch, error as Error);
      }
    },
    async close() {
      closed = true;
      await inFlight;
      this.syncNow();
      fs.closeSync(fd);
    },
  };
}
