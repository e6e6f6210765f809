import { BACKWARDS, END, NO_STREAM, jsonEvent, type KurrentDBClient } from '@kurrent/kurrentdb-client';
import { ExponentialBackoff, handleWhen, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import { z } from 'zod';
import { EventStoreError, isWrongExpectedRevision } from '../errors.js';
import { applyLeaseSync, workersAfterSync } from '../leaseRules.js';
import type { JsonObject, LeaseState, LeaseSync, LeaseTable, PartitionLease } from '../types.js';
import { createLeaseFences, type LeaseClock, type LeaseFences } from './leaseFences.js';
import { leaseStreamOf } from './leaseStream.js';
import { translateError } from './translateError.js';

const STATE_EVENT = 'LeaseTableRecorded';
/** `$maxCount` of the lease stream: only its last event matters; a few more are kept for a look back. */
const KEEP_EVENTS = 50;

const leaseSchema = z.object({ partition: z.number(), owner: z.string().nullable(), epoch: z.number(), expiresAt: z.number() });
const workerSchema = z.object({
  id: z.string(),
  role: z.enum(['worker', 'client']),
  pid: z.number(),
  host: z.string(),
  startedAt: z.number(),
  lastSeen: z.number(),
  info: z.record(z.string(), z.unknown()),
});
const stateSchema = z.object({ partitions: z.number(), leases: z.array(leaseSchema), workers: z.array(workerSchema) });

const EMPTY: LeaseState = { partitions: 0, leases: [], workers: [] };

/** The table as read: its state and the revision of the event holding it (undefined: no table yet). */
interface Versioned {
  state: LeaseState;
  revision: bigint | undefined;
}

export interface KurrentDbLeases {
  table: LeaseTable;
  /** Checks an append's fence against what this process knows; throws `LEASE_LOST` (see leaseFences.ts). */
  fences: Pick<LeaseFences, 'check'>;
}

export interface KurrentDbLeasesOptions {
  client: KurrentDBClient;
  /** The store URL with credentials masked, for errors. */
  where: string;
  /** The clocks fences are judged by (default: `Date.now` and `performance.now`). */
  clock?: LeaseClock;
  /** Names the table (its stream `ecl.cluster-leases-<name>`); default the one table of the server. */
  table?: string;
  /** How long one read-and-append of the table may take (default 10 s). */
  tryTimeoutMs?: number;
}

/**
 * The lease table on KurrentDB, as one compare-and-set register: every change reads the table's
 * last event, runs the same pure rules as the other adapters (`applyLeaseSync`) and appends the
 * new table with the revision it read as expected revision. Two processes changing it at once
 * conflict (`WrongExpectedVersion`), and the loser reads again and re-applies its change on the
 * winner's table, so every change is applied to the table exactly as it was — KurrentDB's
 * optimistic concurrency is the only lock. KurrentDB cannot check a lease inside an append to
 * another stream (see docs/scaling.md), so fences are checked by this process's clocks
 * (`leaseFences.ts`).
 */
export function createKurrentDbLeases(options: KurrentDbLeasesOptions): KurrentDbLeases {
  const { client, where } = options;
  const stream = leaseStreamOf(options.table);
  const fences = createLeaseFences(options.clock);
  // Contention is short (one read and one append per try): retry soon, with jitter so two losers
  // part. Each try has a time limit, so a server that stops answering fails the heartbeat instead
  // of hanging it (the worker's own leases then run out by its clock: see leaseFences.ts).
  const onConflict = wrap(
    retry(handleWhen(isWrongExpectedRevision), { maxAttempts: 30, backoff: new ExponentialBackoff({ initialDelay: 2, maxDelay: 100 }) }),
    timeout(options.tryTimeoutMs ?? 10_000, TimeoutStrategy.Aggressive),
  );

  const fail = (error: unknown, operation: string): never => {
    throw translateError(error, { operation, where, stream, expected: 'any', timeoutMs: options.tryTimeoutMs ?? 10_000 });
  };

  async function load(): Promise<Versioned> {
    try {
      for await (const resolved of client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
        const event = resolved.event;
        if (event === undefined) continue;
        const parsed = stateSchema.safeParse(event.data);
        if (!parsed.success)
          throw new EventStoreError('STORE_UNAVAILABLE', `The lease table in "${stream}" on KurrentDB at ${where} is not readable: ${parsed.error.message}`);
        const state = { ...parsed.data, workers: parsed.data.workers.map((worker) => ({ ...worker, info: worker.info as JsonObject })) };
        fences.observe(event.revision, state);
        return { state, revision: event.revision };
      }
    } catch (error) {
      if ((error as { type?: string }).type !== 'stream-not-found') fail(error, `read "${stream}"`);
    }
    return { state: EMPTY, revision: undefined };
  }

  /** Applies `change` to the table as it is, retrying on the table another process just changed. */
  const update = (operation: string, change: (state: LeaseState) => LeaseState | undefined): Promise<Versioned> =>
    onConflict
      .execute(async () => {
        const current = await load();
        const next = change(current.state);
        if (next === undefined) return current;
        try {
          const written = await client.appendToStream(stream, jsonEvent({ type: STATE_EVENT, data: next as never }), {
            streamState: current.revision ?? NO_STREAM,
          });
          fences.observe(written.nextExpectedRevision, next);
          return { state: next, revision: written.nextExpectedRevision };
        } catch (error) {
          return fail(error, operation);
        }
      })
      .catch((error: unknown) => fail(error, operation));

  /** Keeps the lease stream short on a real server (events past `$maxCount` are dropped by scavenges). */
  async function limitLength(): Promise<void> {
    try {
      const { metadata } = await client.getStreamMetadata(stream);
      if (metadata?.maxCount !== KEEP_EVENTS) await client.setStreamMetadata(stream, { ...metadata, maxCount: KEEP_EVENTS });
    } catch (error) {
      fail(error, `set the metadata of "${stream}"`);
    }
  }

  const table: LeaseTable = {
    async partitions(proposed) {
      const { state } = await update('record the partition count', (current) => (current.partitions > 0 ? undefined : { ...current, partitions: proposed }));
      await limitLength();
      return state.partitions;
    },
    async sync(request) {
      const started = fences.now();
      const { state, revision } = await update(`renew the leases of ${request.worker.id}`, (current) => synced(current, request));
      fences.granted(request, state, revision, started);
      return state;
    },
    async leave(workerId) {
      await update(`free the leases of ${workerId}`, (current) => ({
        partitions: current.partitions,
        leases: current.leases.map((lease) => (lease.owner === workerId ? { ...lease, owner: null, expiresAt: 0 } : lease)),
        workers: current.workers.filter((worker) => worker.id !== workerId),
      }));
    },
    async read() {
      return (await onConflict.execute(load).catch((error: unknown) => fail(error, `read "${stream}"`))).state;
    },
  };
  return { table, fences };
}

/** One heartbeat applied to the table: the worker's record (and the pruning of old or evicted ones), then the lease rules. */
function synced(current: LeaseState, request: LeaseSync): LeaseState {
  const workers = workersAfterSync(current.workers, request);
  const byPartition = new Map(current.leases.map((lease) => [lease.partition, lease]));
  for (const lease of applyLeaseSync((partition) => byPartition.get(partition), request)) byPartition.set(lease.partition, lease);
  const leases: PartitionLease[] = [...byPartition.values()].sort((a, b) => a.partition - b.partition);
  return { partitions: current.partitions, leases, workers };
}
