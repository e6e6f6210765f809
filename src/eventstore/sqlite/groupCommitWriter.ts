import type { Database } from 'better-sqlite3';
import { decideAppend, duplicateIdError, type StoredEventLocation } from '../decideAppend.js';
import { isEventStoreError } from '../errors.js';
import type { PreparedEvent } from '../prepareAppend.js';
import type { AppendResult, ExpectedRevision } from '../types.js';
import { isConstraintViolation, toStoreError } from './sqliteErrors.js';

interface PendingAppend {
  stream: string;
  events: readonly PreparedEvent[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

export interface GroupCommitWriter {
  append(stream: string, events: readonly PreparedEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Writes whatever is queued now, synchronously (used by close). */
  drain(): void;
}

export interface GroupCommitOptions {
  /** Called after each commit with the streams it touched. */
  onCommit: (streams: ReadonlySet<string>) => void;
  /** Most appends flushed in one transaction; the rest wait for the next one. */
  maxAppendsPerCommit?: number;
}

/**
 * Group commit: appends queued during one turn of the event loop are written in ONE immediate
 * transaction (one fsync) and their callers resolved only after COMMIT. Each append is decided
 * on its own inside the transaction, reading the stream head there (so another process's writes
 * count), in queue order, so per-stream order and optimistic concurrency hold; a conflicting or
 * failing append is rolled back to its own savepoint and rejected alone.
 */
export function createGroupCommitWriter(db: Database, options: GroupCommitOptions): GroupCommitWriter {
  const maxPerCommit = options.maxAppendsPerCommit ?? 5_000;
  const headOf = db.prepare<[string], number>('SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1').pluck();
  const locateRow = db.prepare<[string], [string, number, number]>('SELECT stream, revision, position FROM events WHERE id = ?').raw(true);
  const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)');
  let queue: PendingAppend[] = [];
  let scheduled = false;

  const locate = (id: string): StoredEventLocation | undefined => {
    const row = locateRow.get(id);
    return row === undefined ? undefined : { stream: row[0], revision: row[1], position: BigInt(row[2]) };
  };

  const write = (item: PendingAppend, created: number): AppendResult => {
    const head = headOf.get(item.stream) ?? -1;
    const decision = decideAppend({ stream: item.stream, events: item.events, expected: item.expected, head, locate });
    if (decision.kind === 'idempotent') return decision.result;
    let position = 0;
    let revision = decision.firstRevision;
    for (const event of item.events) {
      try {
        position = Number(insert.run(item.stream, revision, event.id, event.type, event.data, event.metadata, created).lastInsertRowid);
      } catch (error) {
        const taken = isConstraintViolation(error) ? locate(event.id) : undefined;
        throw taken === undefined ? error : duplicateIdError(event.id, taken);
      }
      revision++;
    }
    return { nextExpectedRevision: revision - 1, position: BigInt(position) };
  };
  // Called inside the group's transaction, better-sqlite3 wraps this one in a savepoint.
  const writeInSavepoint = db.transaction(write);

  const commitGroup = db.transaction((group: PendingAppend[], outcomes: Outcome[]) => {
    const created = Date.now();
    for (const item of group) {
      try {
        const result = item.events.length === 1 ? write(item, created) : writeInSavepoint(item, created);
        outcomes.push({ ok: true, result });
      } catch (error) {
        // Conflicts and duplicate ids fail their append alone; anything else aborts the group.
        if (!isEventStoreError(error)) throw error;
        outcomes.push({ ok: false, error });
      }
    }
  });

  const flush = (): void => {
    scheduled = false;
    while (queue.length > 0) {
      const group = queue.length <= maxPerCommit ? queue : queue.slice(0, maxPerCommit);
      queue = queue.length <= maxPerCommit ? [] : queue.slice(maxPerCommit);
      const outcomes: Outcome[] = [];
      try {
        commitGroup.immediate(group, outcomes);
      } catch (error) {
        const failure = toStoreError(error, `appending ${group.length} batches`);
        for (const item of group) item.reject(failure);
        continue;
      }
      const touched = new Set<string>();
      group.forEach((item, index) => {
        const outcome = outcomes[index]!;
        if (outcome.ok) {
          touched.add(item.stream);
          item.resolve(outcome.result);
        } else item.reject(outcome.error);
      });
      if (touched.size > 0) options.onCommit(touched);
    }
  };

  return {
    append(stream, events, expected) {
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ stream, events, expected, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    drain: flush,
  };
}
