import type pg from 'pg';
import { decideAppend } from '../decideAppend.js';
import { isWrongExpectedRevision, leaseLostError, type EventStoreError } from '../errors.js';
import { fenceHolds, holderOf } from '../leaseRules.js';
import type { PreparedEvent } from '../prepareAppend.js';
import type { AppendFence, AppendResult, ExpectedRevision, PartitionLease } from '../types.js';
import { groupView, needsLookup, type GroupStream } from './groupView.js';
import type { StoreSql } from './storeSql.js';

/** One caller's append, as the group commit queued it. */
export interface GroupAppend {
  stream: string;
  events: readonly PreparedEvent[];
  expected: ExpectedRevision;
  fence?: AppendFence | undefined;
}

type FenceLease = Pick<PartitionLease, 'owner' | 'epoch'>;

/** What became of one append of the group: written (or recognised as a replay), or in conflict. */
export type Outcome = { result: AppendResult } | { conflict: EventStoreError };

/**
 * Writes one group in one transaction and says what became of each append. Each append is decided
 * by the shared `decideAppend`, in queue order, against its stream as it is inside the transaction
 * (earlier appends of the group included); a conflict rejects that append alone and writes nothing.
 *
 * Global order: the transaction takes a transaction-scoped advisory lock (one key per schema)
 * before it reads heads and assigns positions (last position + 1, …), and holds it until COMMIT.
 * PostgreSQL makes a commit visible before it releases the committing transaction's locks, so the
 * next writer, in this process or any other, assigns higher positions only after the lower ones
 * are visible: a reader never sees position N+1 while N is still to come, which is what lets
 * subscribers read "everything after my cursor" without skipping an event. (A sequence would hand
 * out positions before commit, and two transactions could then commit out of position order.)
 * Appends are thus serialized across writers; group commit keeps that from limiting throughput.
 *
 * Fences: the leases of the partitions the group's fences name are read in the same round trip
 * as the lock, `FOR SHARE`. A lease sync that took a partition over before commits first (the
 * read waits for it and sees the new owner), and one that comes later waits for this COMMIT, so
 * the new owner's recovery finds the append in the log. A stale fence rejects its append alone
 * with LEASE_LOST, as the SQLite writer does. `replaying` (a retry after a failure that may have
 * hidden a COMMIT): an append that did commit is recognised by its ids and answered with its
 * result even if its lease moved on since; refusing it would say "nothing written" of events
 * that are in the log.
 */
export async function writeGroup(pool: pg.Pool, sql: StoreSql, group: readonly GroupAppend[], replaying = false): Promise<Outcome[]> {
  const client = await pool.connect();
  // A connection lost while checked out is reported by the failing query; the pool does not
  // listen for its 'error' event then, and an unheard one would crash the process.
  const ignore = () => undefined;
  client.on('error', ignore);
  let broken: unknown;
  try {
    const fenced = [...new Set(group.flatMap((item) => (item.fence === undefined ? [] : [item.fence.partition])))];
    const leases = new Map<number, FenceLease>();
    if (fenced.length === 0) await client.query(sql.beginAndLock);
    else {
      const results = (await client.query(sql.beginLockAndReadLeases(fenced))) as unknown as pg.QueryResult[];
      for (const row of results.at(-1)?.rows ?? []) leases.set(Number(row.partition), { owner: row.owner as string | null, epoch: Number(row.epoch) });
    }
    return await decideAndWrite(client, sql, group, (partition) => leases.get(partition), replaying);
  } catch (error) {
    broken = error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', ignore);
    // After any failure the connection's state is unknown: it is closed, not reused.
    client.release(broken !== undefined);
  }
}

async function decideAndWrite(
  client: pg.PoolClient,
  sql: StoreSql,
  group: readonly GroupAppend[],
  leaseOf: (partition: number) => FenceLease | undefined,
  replaying: boolean,
): Promise<Outcome[]> {
  const names = [...new Set(group.map((item) => item.stream))];
  const heads = await client.query<[string | null, string | null, number | null, string | null]>({
    name: `${sql.prepared}heads`,
    text: sql.heads,
    values: [names],
    rowMode: 'array',
  });
  let lastPosition = 0n;
  const streams = new Map<string, GroupStream>();
  for (const [name, streamId, head, last] of heads.rows) {
    if (name === null) lastPosition = BigInt(last ?? 0);
    else streams.set(name, { streamId: streamId!, head: head!, known: new Map() });
  }
  for (const name of names) if (!streams.has(name)) streams.set(name, { streamId: undefined, head: -1, known: new Map() });

  // One query fetches, for every append that may be a replay, the stored events bearing its ids.
  const lookupStreams = new Set<string>();
  const lookupIds = new Set<string>();
  for (const item of group) {
    const stream = streams.get(item.stream)!;
    if (stream.streamId === undefined || !needsLookup(item.expected, stream.head)) continue;
    lookupStreams.add(stream.streamId);
    for (const event of item.events) lookupIds.add(event.id);
  }
  if (lookupStreams.size > 0) {
    const byId = new Map([...streams.values()].filter((s) => s.streamId !== undefined).map((s) => [s.streamId!, s]));
    const found = await client.query<[string, number, string, string]>({
      name: `${sql.prepared}lookup`,
      text: sql.lookup,
      values: [[...lookupStreams], [...lookupIds]],
      rowMode: 'array',
    });
    for (const [streamId, revision, id, position] of found.rows) byId.get(streamId)?.known.set(revision, { id, position: BigInt(position) });
  }

  const rows = {
    positions: [] as string[],
    names: [] as string[],
    revisions: [] as number[],
    ids: [] as string[],
    types: [] as string[],
    data: [] as string[],
    metadata: [] as string[],
  };
  const outcomes = group.map((item): Outcome => {
    const stream = streams.get(item.stream)!;
    const { fence } = item;
    const lease = fence === undefined ? undefined : leaseOf(fence.partition);
    const lost = fence === undefined || fenceHolds(lease, fence) ? undefined : leaseLostError(item.stream, fence, holderOf(lease));
    try {
      // As on SQLite, a stale fence is refused before the stream is looked at (a stale owner's
      // expected revision is usually behind too, and LEASE_LOST is what tells it to stop).
      if (lost !== undefined && !replaying) return { conflict: lost };
      const decision = decideAppend(item.stream, item.events, item.expected, groupView(stream));
      if (decision.kind === 'idempotent') return { result: decision.result };
      if (lost !== undefined) return { conflict: lost };
      let revision = decision.firstRevision;
      for (const event of item.events) {
        lastPosition += 1n;
        stream.known.set(revision, { id: event.id, position: lastPosition });
        rows.positions.push(lastPosition.toString());
        rows.names.push(item.stream);
        rows.revisions.push(revision++);
        rows.ids.push(event.id);
        rows.types.push(event.type);
        rows.data.push(event.data);
        rows.metadata.push(event.metadata);
      }
      stream.head = revision - 1;
      return { result: { nextExpectedRevision: stream.head, position: lastPosition } };
    } catch (error) {
      if (!isWrongExpectedRevision(error)) throw error;
      return { conflict: lost ?? error };
    }
  });
  if (rows.positions.length === 0) {
    await client.query('ROLLBACK');
    return outcomes;
  }
  const touched = [...new Set(rows.names)];
  await client.query({
    name: `${sql.prepared}write`,
    text: sql.write,
    values: [
      touched,
      touched.map((name) => streams.get(name)!.head),
      rows.positions,
      rows.names,
      rows.revisions,
      rows.ids,
      rows.types,
      rows.data,
      rows.metadata,
    ],
  });
  await client.query(sql.notifyAndCommit(touched));
  return outcomes;
}
