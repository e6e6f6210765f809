import type { Database } from 'better-sqlite3';
import { decideAppend, type StoredIdAt, type StreamView } from '../decideAppend.js';
import { isLeaseLost, isWrongExpectedRevision, leaseLostError, type EventStoreError } from '../errors.js';
import { fenceHolds, holderOf } from '../leaseRules.js';
import type { PreparedEvent } from '../prepareAppend.js';
import type { AppendFence, AppendResult, ExpectedRevision, PartitionLease } from '../types.js';
import { createHeadCache } from './headCache.js';
import { toStoreError } from './sqliteErrors.js';
import type { StreamIds } from './streamIds.js';
import { hexToUuid } from './uuidBytes.js';
import type { WalSync } from './walSync.js';

interface PendingAppend {
  stream: string;
  events: readonly PreparedEvent[];
  expected: ExpectedRevision;
  fence: AppendFence | undefined;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
  /** Decided inside the group's transaction; told to the caller only after COMMIT. */
  result?: AppendResult;
  conflict?: EventStoreError;
}

export interface GroupCommitWriter {
  append(stream: string, events: readonly PreparedEvent[], expected: ExpectedRevision, fence?: AppendFence): Promise<AppendResult>;
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
  /** A partition's lease, read inside the group's transaction: what a fenced append is checked against. */
  leaseOf?: (partition: number) => PartitionLease | undefined;
  /** Syncs the WAL off the event loop; callers are answered once their commit is on disk. Without it, at COMMIT. */
  walSync?: WalSync;
}

/**
 * Group commit: appends queued during one turn of the event loop are written in ONE immediate
 * transaction (one fsync) and their callers resolved only once it is durable (after COMMIT, or
 * after the WAL sync that follows it). Each append is decided
 * in queue order against its stream as it is inside the transaction (earlier appends of the group
 * included), so per-stream order, optimistic concurrency and idempotency hold, and an append that
 * conflicts is rejected alone, having written nothing.
 *
 * Once decided, an append's INSERTs cannot fail for any reason the caller could cause (the
 * revisions are free, ids are not unique keys), so no savepoint guards each append: an error
 * there is the file's or the disk's, and it rolls back the whole group, whose callers all get it.
 */
export function createGroupCommitWriter(db: Database, streams: StreamIds, options: GroupCommitOptions): GroupCommitWriter {
  const maxPerCommit = options.maxAppendsPerCommit ?? 5_000;
  const headOf = db.prepare<[number], number>('SELECT revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1').pluck();
  // Walks the stream backwards on its (stream_id, revision) index: the latest use of the id.
  const revisionOfId = db
    .prepare<[number, string], number>("SELECT revision FROM events WHERE stream_id = ? AND id = unhex(?, '-') ORDER BY revision DESC LIMIT 1")
    .pluck();
  const idsFrom = db
    .prepare<[number, number, number], [string, number]>(
      'SELECT lower(hex(id)), position FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?',
    )
    .raw(true);
  const insert = db.prepare("INSERT INTO events (stream_id, revision, id, type, data, metadata, created) VALUES (?, ?, unhex(?, '-'), ?, ?, ?, ?)");
  const heads = createHeadCache(db);
  let queue: PendingAppend[] = [];
  let scheduled = false;
  // Stream ids found or created by the group being committed; cached only once COMMIT succeeds.
  const resolved = new Map<string, number>();
  const leasesInGroup = new Map<number, PartitionLease | undefined>();

  // One view for every append, pointed at each one's stream in turn: decideAppend reads it
  // synchronously, and asks nothing of a stream that does not exist (head -1).
  let viewedStreamId = -1;
  const view: StreamView = {
    head: -1,
    revisionOf: (id) => revisionOfId.get(viewedStreamId, id),
    eventsFrom: (revision, count) =>
      idsFrom.all(viewedStreamId, revision, count).map(([hex, position]): StoredIdAt => ({ id: hexToUuid(hex), position: BigInt(position) })),
  };

  const readHead = (streamId: number): number => {
    const head = headOf.get(streamId) ?? -1;
    heads.set(streamId, head);
    return head;
  };

  const write = (item: PendingAppend, now: number): AppendResult => {
    const { stream, events, fence } = item;
    // The fence is read in the same transaction as the INSERTs: a lease taken over before this
    // commit refuses the append; one taken over after it finds the append already in the log.
    if (fence !== undefined) {
      // Leases change only in their own transactions: one read per partition per group is enough.
      let lease = leasesInGroup.get(fence.partition);
      if (lease === undefined && !leasesInGroup.has(fence.partition)) leasesInGroup.set(fence.partition, (lease = options.leaseOf?.(fence.partition)));
      if (options.leaseOf !== undefined && !fenceHolds(lease, fence)) throw leaseLostError(stream, fence, holderOf(lease));
    }
    let streamId = resolved.get(stream) ?? streams.idOf(stream);
    viewedStreamId = streamId ?? -1;
    view.head = streamId === undefined ? -1 : (heads.get(streamId) ?? readHead(streamId));
    const decision = decideAppend(stream, events, item.expected, view);
    if (decision.kind === 'idempotent') return decision.result;
    streamId ??= streams.create(stream);
    resolved.set(stream, streamId);
    let revision = decision.firstRevision;
    let position = 0;
    for (const event of events) {
      position = Number(insert.run(streamId, revision++, event.id, event.type, event.data, event.metadata, now).lastInsertRowid);
    }
    heads.set(streamId, revision - 1);
    return { nextExpectedRevision: revision - 1, position: BigInt(position) };
  };

  const commitGroup = db.transaction((group: readonly PendingAppend[]) => {
    heads.begin();
    leasesInGroup.clear();
    const now = Date.now();
    for (const item of group) {
      try {
        item.result = write(item, now);
      } catch (error) {
        // A conflict (or a lost lease) wrote nothing and fails its own append; anything else aborts the group.
        if (!isWrongExpectedRevision(error) && !isLeaseLost(error)) throw error;
        item.conflict = error;
      }
    }
  });

  const flush = (): void => {
    scheduled = false;
    while (queue.length > 0) {
      const group = queue.length <= maxPerCommit ? queue : queue.slice(0, maxPerCommit);
      queue = queue.length <= maxPerCommit ? [] : queue.slice(maxPerCommit);
      resolved.clear();
      try {
        commitGroup.immediate(group);
        heads.committed();
        for (const [name, id] of resolved) streams.remember(name, id);
      } catch (error) {
        heads.aborted();
        const failure = toStoreError(error, `appending ${group.length} batches`);
        options.onGroupFailed?.(failure, group.length);
        for (const item of group) item.reject(failure);
        continue;
      }
      if (options.walSync === undefined) settle(group);
      else options.walSync.afterCommit((error) => (error === undefined ? settle(group) : notDurable(group, error)));
    }
  };

  const settle = (group: readonly PendingAppend[]): void => {
    const touched = new Set<string>();
    for (const item of group) {
      if (item.conflict !== undefined) item.reject(item.conflict);
      else {
        touched.add(item.stream);
        item.resolve(item.result!);
      }
    }
    if (touched.size > 0) options.onCommit(touched);
  };

  // Committed but perhaps not on disk: the callers learn the outcome is unknown (re-appending the same ids is safe).
  const notDurable = (group: readonly PendingAppend[], error: Error): void => {
    const failure = toStoreError(error, `syncing the log after ${group.length} batches`);
    options.onGroupFailed?.(failure, group.length);
    for (const item of group) item.reject(item.conflict ?? failure);
  };

  return {
    append(stream, events, expected, fence) {
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ stream, events, expected, fence, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    drain() {
      flush();
      options.walSync?.syncNow();
    },
  };
}
