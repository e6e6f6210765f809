import type { Database } from 'better-sqlite3';
import { assertDistinctIds, admits, conflictOf, duplicateIdError, findReplay, type StoredEventLocation } from '../decideAppend.js';
import { isEventStoreError, type EventStoreError } from '../errors.js';
import type { PreparedEvent } from '../prepareAppend.js';
import type { AppendResult, ExpectedRevision } from '../types.js';
import { createHeadCache } from './headCache.js';
import { isIdTaken, toStoreError } from './sqliteErrors.js';
import type { StreamIds } from './streamIds.js';
import { uuidToBytes } from './uuidBytes.js';

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
  /** Called when a whole group failed (its callers are rejected with `error`). */
  onGroupFailed?: (error: EventStoreError, appends: number) => void;
  /** Most appends flushed in one transaction; the rest wait for the next one. */
  maxAppendsPerCommit?: number;
}

/** Thrown inside an append's savepoint when an event id is already stored, to roll the batch back first. */
class IdTaken {}

/**
 * Group commit: appends queued during one turn of the event loop are written in ONE immediate
 * transaction (one fsync) and their callers resolved only after COMMIT. Each append is decided on
 * its own inside the transaction, in queue order, against the stream head as it is there, so
 * per-stream order and optimistic concurrency hold; a conflicting or failing append is rolled back
 * to its own savepoint and rejected alone.
 *
 * The happy path does no id lookup: the unique index on ids rejects a reused id, and only then is
 * the batch checked for being an idempotent replay (as it is when the expectation fails).
 */
export function createGroupCommitWriter(db: Database, streams: StreamIds, options: GroupCommitOptions): GroupCommitWriter {
  const maxPerCommit = options.maxAppendsPerCommit ?? 5_000;
  const headOf = db.prepare<[number], number>('SELECT revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1').pluck();
  const locateRow = db
    .prepare<[Buffer], [string, number, number]>('SELECT s.name, e.revision, e.position FROM events e JOIN streams s ON s.stream_id = e.stream_id WHERE e.id = ?')
    .raw(true);
  const insert = db.prepare('INSERT INTO events (stream_id, revision, id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const heads = createHeadCache(db);
  let queue: PendingAppend[] = [];
  let scheduled = false;
  // Stream ids found or created by the group being committed; cached only once COMMIT succeeds.
  let resolved = new Map<string, number>();

  const locate = (id: string): StoredEventLocation | undefined => {
    const row = locateRow.get(uuidToBytes(id));
    return row === undefined ? undefined : { stream: row[0], revision: row[1], position: BigInt(row[2]) };
  };

  const insertBatch = (item: PendingAppend, streamId: number, firstRevision: number, now: number): AppendResult => {
    let position = 0;
    let revision = firstRevision;
    for (const event of item.events) {
      try {
        position = Number(insert.run(streamId, revision, uuidToBytes(event.id), event.type, event.data, event.metadata, now).lastInsertRowid);
      } catch (error) {
        throw isIdTaken(error) ? new IdTaken() : error;
      }
      revision++;
    }
    return { nextExpectedRevision: revision - 1, position: BigInt(position) };
  };
  // Called inside the group's transaction, better-sqlite3 wraps this one in a savepoint.
  const insertInSavepoint = db.transaction(insertBatch);

  const write = (item: PendingAppend, now: number): AppendResult => {
    const { stream, events, expected } = item;
    assertDistinctIds(events);
    let streamId = resolved.get(stream) ?? streams.idOf(stream);
    const head = streamId === undefined ? -1 : heads.get(streamId, () => headOf.get(streamId!) ?? -1);
    if (!admits(expected, head)) {
      const replay = findReplay({ stream, events, expected, locate });
      if (replay !== undefined) return replay;
      throw conflictOf({ stream, expected, head });
    }
    streamId ??= streams.create(stream);
    resolved.set(stream, streamId);
    try {
      const result = events.length === 1 ? insertBatch(item, streamId, head + 1, now) : insertInSavepoint(item, streamId, head + 1, now);
      heads.set(streamId, result.nextExpectedRevision);
      return result;
    } catch (error) {
      if (!(error instanceof IdTaken)) throw error;
      const replay = findReplay({ stream, events, expected, locate });
      if (replay !== undefined) return replay;
      const taken = events.map((event) => ({ id: event.id, where: locate(event.id) })).find((found) => found.where !== undefined);
      throw duplicateIdError(taken?.id ?? events[0]!.id, taken?.where ?? { stream, revision: -1, position: 0n });
    }
  };

  const commitGroup = db.transaction((group: PendingAppend[], outcomes: Outcome[]) => {
    heads.begin();
    const now = Date.now();
    for (const item of group) {
      try {
        outcomes.push({ ok: true, result: write(item, now) });
      } catch (error) {
        // Conflicts and duplicate ids fail their append alone; anything else aborts the group.
        if (!isEventStoreError(error)) throw error;
        resolved.delete(item.stream);
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
      resolved = new Map();
      try {
        commitGroup.immediate(group, outcomes);
        heads.committed();
        for (const [name, id] of resolved) streams.remember(name, id);
      } catch (error) {
        heads.aborted();
        const failure = toStoreError(error, `appending ${group.length} batches`);
        options.onGroupFailed?.(failure, group.length);
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

