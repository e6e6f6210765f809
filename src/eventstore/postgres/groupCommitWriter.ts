import type { IPolicy } from 'cockatiel';
import type pg from 'pg';
import { EventStoreError } from '../errors.js';
import type { PreparedEvent } from '../prepareAppend.js';
import type { AppendFence, AppendResult, ExpectedRevision } from '../types.js';
import { toStoreError } from './pgErrors.js';
import type { StoreSql } from './storeSql.js';
import { writeGroup, type GroupAppend, type Outcome } from './writeGroup.js';

interface PendingAppend extends GroupAppend {
  bytes: number;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitWriter {
  append(stream: string, events: readonly PreparedEvent[], expected: ExpectedRevision, fence?: AppendFence): Promise<AppendResult>;
  /** Resolves once every append accepted so far is settled (used by close). */
  drain(): Promise<void>;
}

export interface GroupCommitOptions {
  pool: pg.Pool;
  sql: StoreSql;
  /** The store URL, redacted, for messages. */
  where: string;
  /**
   * Runs one group's transaction, trying it again after a retryable failure. Trying again is safe
   * even when the failure hid the outcome (a lost COMMIT): the retry decides each append afresh,
   * and one already written is recognised by its event ids as a replay.
   */
  retry: IPolicy;
  /** Called after each commit with the streams it touched. */
  onCommit: (streams: ReadonlySet<string>) => void;
  /** Called when a whole group failed (its callers are rejected with `error`). */
  onGroupFailed?: (error: EventStoreError, appends: number) => void;
  maxAppendsPerCommit?: number;
  maxBytesPerCommit?: number;
}

const bytesOf = (events: readonly PreparedEvent[]): number => events.reduce((sum, e) => sum + e.data.length + e.metadata.length + e.type.length, 0);

/**
 * Group commit on PostgreSQL: appends arriving while a transaction is in flight are written
 * together in the next one (`writeGroup.ts`, which also explains the global order), and their
 * callers are answered only after COMMIT. One group is in flight per store at a time; the queue
 * fills meanwhile, so the group size follows the commit latency. A group that fails with a
 * retryable error is tried again as a whole (see `retry`).
 */
export function createGroupCommitWriter(options: GroupCommitOptions): GroupCommitWriter {
  const { pool, sql, where } = options;
  const maxAppends = options.maxAppendsPerCommit ?? 2_000;
  const maxBytes = options.maxBytesPerCommit ?? 16 * 1024 * 1024;
  let queue: PendingAppend[] = [];
  let running: Promise<void> | undefined;

  const take = (): PendingAppend[] => {
    let bytes = 0;
    let count = 0;
    while (count < queue.length && count < maxAppends && (count === 0 || bytes + queue[count]!.bytes <= maxBytes)) bytes += queue[count++]!.bytes;
    const group = queue.slice(0, count);
    queue = queue.slice(count);
    return group;
  };

  const commit = async (group: PendingAppend[]): Promise<void> => {
    let outcomes: Outcome[];
    let attempts = 0;
    try {
      outcomes = await options.retry.execute(async () => {
        try {
          return await writeGroup(pool, sql, group, attempts++ > 0);
        } catch (error) {
          throw toStoreError(error, `appending ${group.length} batches`, where);
        }
      });
    } catch (error) {
      const cause = toStoreError(error, `appending ${group.length} batches`, where);
      // A lost connection may have hidden a COMMIT; a refusal by the server rolled everything back.
      const failure = cause.retryable
        ? new EventStoreError(
            'STORE_UNAVAILABLE',
            `${cause.message} (the append may or may not have been written; appending the same event ids again with the same expected revision is safe)`,
            { cause, retryable: true },
          )
        : cause;
      options.onGroupFailed?.(failure, group.length);
      for (const item of group) item.reject(failure);
      return;
    }
    const touched = new Set<string>();
    group.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if ('conflict' in outcome) item.reject(outcome.conflict);
      else {
        touched.add(item.stream);
        item.resolve(outcome.result);
      }
    });
    if (touched.size > 0) options.onCommit(touched);
  };

  const run = async (): Promise<void> => {
    // Let the appends of this turn of the event loop join the first group.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (queue.length > 0) await commit(take());
    running = undefined;
  };

  return {
    append(stream, events, expected, fence) {
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ stream, events, expected, fence, bytes: bytesOf(events), resolve, reject });
        running ??= run();
      });
    },
    drain: async () => {
      while (running !== undefined) await running;
    },
  };
}
