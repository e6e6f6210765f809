import type { Observable } from 'rxjs';

export type JsonPrimitive = string | number | boolean | null;
/**
 * Plain JSON: what events, step outputs and workflow inputs are made of. An object type declared
 * with `interface` is not assignable to it (interfaces have no index signature): declare such
 * shapes with `type`. Numbers must be finite to be stored.
 */
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Metadata every record may carry; our own keys sit beside KurrentDB's `$`-prefixed ones. */
export type EventMetadata = JsonObject & {
  $correlationId?: string;
  $causationId?: string;
};

/** An event as the caller hands it to `append`. Supply `id` to make re-appends idempotent. */
export interface EventToAppend {
  id?: string;
  type: string;
  data: JsonValue;
  metadata?: EventMetadata;
}

/** An event as the store returns it. */
export interface RecordedEvent {
  /** The event's UUID (lower case): the caller's, or one the store generated. */
  id: string;
  /** The stream it belongs to, e.g. `ecl.workflow-<workflowId>`. */
  stream: string;
  /** The event's name, e.g. `StepCompleted`. */
  type: string;
  /** 0-based, contiguous within the stream. */
  revision: number;
  /** Global order across all streams: strictly increasing, not necessarily contiguous. */
  position: bigint;
  /** The payload, as appended. */
  data: JsonValue;
  /** `$correlationId`, `$causationId` and ECL's own keys (workflowId, sender, at, state, …); `{}` when none. */
  metadata: EventMetadata;
  /** When the store committed the event. */
  created: Date;
}

/**
 * What the stream must look like for an append to succeed:
 * `no_stream` (must not exist), `stream_exists`, `any`, or the exact revision of its last event.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
  /**
   * Append only while this lease is still held: a store that keeps leases (`leases` below) checks
   * `owner` and `epoch` of the partition's lease in the same transaction as the append, and fails
   * with `LEASE_LOST` (writing nothing) when another worker took it since. KurrentDB cannot: its
   * adapter checks the fence before sending, against the newest lease table the process has seen
   * and the lease's expiry by the worker's own clock (docs/scaling.md, *KurrentDB*). A store
   * without leases ignores it; optimistic concurrency (`expectedRevision`) is then the only guard.
   */
  fence?: AppendFence;
}

/** A fencing token: who holds a partition's lease, and which grant of it (`epoch` grows with every new owner). */
export interface AppendFence {
  partition: number;
  owner: string;
  epoch: number;
}

/** One partition's lease as the store records it; `owner` null when released. Times are epoch milliseconds. */
export interface PartitionLease {
  partition: number;
  owner: string | null;
  epoch: number;
  expiresAt: number;
}

/** A process taking part in running workflows: a `worker` (`ecl serve`, `ecl worker`) or a `client` (`ecl run`, `ecl send`). */
export interface WorkerRecord {
  id: string;
  role: 'worker' | 'client';
  pid: number;
  host: string;
  startedAt: number;
  /** Its last heartbeat (epoch ms). */
  lastSeen: number;
  /** Free-form facts it publishes about itself (e.g. its API URL, its lag). */
  info: JsonObject;
}

/** One heartbeat: what the worker renews, takes and gives back, decided atomically against the table. */
export interface LeaseSync {
  worker: WorkerRecord;
  /** The worker's clock (epoch ms); expiries are compared with it. */
  now: number;
  ttlMs: number;
  /** Partitions to keep (only those it still owns are extended). */
  renew: readonly number[];
  /** Partitions to take if free, expired or already its own. */
  acquire: readonly number[];
  /** Partitions to give back (only those it owns). */
  release: readonly number[];
  /**
   * Workers the caller knows are dead (a process of its own machine that no longer exists): their
   * leases count as expired at once, and their records go.
   */
  evict?: readonly string[];
}

/** The lease table after a sync or read: every partition that ever had a lease, and the recent workers. */
export interface LeaseState {
  partitions: number;
  leases: PartitionLease[];
  workers: WorkerRecord[];
}

/**
 * Leases kept in the store's own database, so a fence can be checked in the append's transaction
 * (on KurrentDB, before the append by the worker's clock). Implemented by the memory, SQLite,
 * PostgreSQL and KurrentDB adapters; see docs/scaling.md.
 */
export interface LeaseTable {
  /** The number of partitions recorded in the store; the first caller's `proposed` is recorded and wins for every node. */
  partitions(proposed: number): Promise<number>;
  /** One atomic heartbeat: records the worker, renews, takes and releases leases; returns the table after it. */
  sync(request: LeaseSync): Promise<LeaseState>;
  /** Graceful exit: frees the worker's leases (keeping their epochs) and removes its record. */
  leave(workerId: string): Promise<void>;
  /** The table as it is. */
  read(): Promise<LeaseState>;
}

export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as `expectedRevision` next time. */
  nextExpectedRevision: number;
  /** Global position of the last event of this append. */
  position: bigint;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** Revision to start at, inclusive. Defaults to the start (forwards) or the end (backwards). */
  from?: number | 'start' | 'end';
  direction?: Direction;
  limit?: number;
}

export interface StreamFilter {
  /** Keep only events whose stream name starts with one of these prefixes. */
  streamPrefixes?: string[];
}

export interface ReadAllOptions {
  /** Position to start at, inclusive. Defaults to the start (forwards) or the end (backwards). */
  fromPosition?: bigint | 'start' | 'end';
  direction?: Direction;
  limit?: number;
  filter?: StreamFilter;
}

export interface SubscribeToAllOptions {
  /** Deliver events strictly after this position; omitted means from the very start. */
  afterPosition?: bigint;
  filter?: StreamFilter;
}

export interface SubscribeToStreamOptions {
  /** Deliver events strictly after this revision; omitted means from revision 0. */
  afterRevision?: number;
}

/**
 * The event store port. Every adapter (memory, sqlite, postgres, kurrentdb) passes the contract suite in
 * `test/contracts/eventStore.contract.ts`; nothing outside `src/eventstore/` sees a vendor error.
 */
export interface EventStore {
  /** Human-readable name of the adapter and where it points (no secrets), for logs and CLI banners. */
  readonly description: string;

  /** The store's lease table, when the adapter keeps one (memory, sqlite, postgres, kurrentdb): what several workers on one store coordinate through. */
  readonly leases?: LeaseTable;

  /**
   * Appends atomically: all events or none. Re-appending the same ids at the same expected revision
   * is a no-op success. Rejects with an `EventStoreError`: `WRONG_EXPECTED_REVISION` (the stream is
   * not as `expectedRevision` says), `INVALID_STREAM_NAME`, `INVALID_EVENT_DATA` (not plain JSON,
   * an id that is not a UUID, no events), `PAYLOAD_TOO_LARGE`, `STORE_UNAVAILABLE`, `STORE_CLOSED`,
   * `LEASE_LOST` (the `fence` no longer holds; nothing written).
   */
  append(stream: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult>;

  /** Reads one stream; a stream that does not exist reads as empty. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Reads the global log in position order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /** Catch-up then live, in order, with no gap and no duplicate across the switch. */
  subscribeToAll(options?: SubscribeToAllOptions): Observable<RecordedEvent>;

  /** Catch-up then live on one stream. */
  subscribeToStream(stream: string, options?: SubscribeToStreamOptions): Observable<RecordedEvent>;

  /** Position of the newest event in the log, or null when the log is empty. */
  headPosition(): Promise<bigint | null>;

  /** Completes every subscription and releases the underlying resources. */
  close(): Promise<void>;
}
