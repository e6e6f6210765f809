import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'winston';
import type { Engine, RecoverResult, WorkflowOwnership } from '../actors/index.js';
import type { AppendFence, EventStore, JsonObject, LeaseState, LeaseTable, WorkerRecord } from '../eventstore/index.js';
import type { DefinitionRegistry } from '../machines/index.js';
import { DEFAULT_PARTITIONS, partitionOf } from './partitionOf.js';
import { planLeases } from './planLeases.js';
import { isGoneHere, processSpace } from './processSpace.js';
import { isLive } from './liveness.js';
import { createLogFollower, type LogFollower } from './followLog.js';

/** Default lease TTL: a dead worker's workflows move within about this long (plus one heartbeat). */
export const DEFAULT_LEASE_TTL_MS = 4_000;
/** Heartbeats per TTL: a lease is renewed this many times before it would expire. */
const BEATS_PER_TTL = 4;

export interface ClusterNodeOptions {
  /** The store the engine appends to: its log is followed for other writers' events. */
  store: EventStore;
  /** The store's lease table (`store.leases` of the unwrapped adapter). */
  leases: LeaseTable;
  logger: Logger;
  /**
   * `worker` (`ecl serve`, `ecl worker`: a fair share of all partitions) or `client` (`ecl run`,
   * `ecl send`: only its own workflows, and only when no worker is alive). Default `worker`.
   */
  role?: 'worker' | 'client';
  /** Unique per process (default `<host>-<pid>-<random>`); `ECL_WORKER_ID`. */
  id?: string;
  /** Lease TTL in ms (default {@link DEFAULT_LEASE_TTL_MS}); heartbeats come every TTL/4. */
  ttlMs?: number;
  /** Partitions to record if the store has none yet (default 64); the recorded number wins. */
  partitions?: number;
  /** Facts published with each heartbeat (e.g. the API's URL). */
  info?: () => JsonObject;
  /**
   * The definitions this node's engine can drive, published with each heartbeat (`info.definitions`,
   * `<name>@<version>` each), so a client can tell, before it records a start, whether the worker
   * that would drive the workflow has its definition (`driverOf`).
   */
  definitions?: DefinitionRegistry;
  /** Epoch ms; tests may pass a simulated clock. */
  now?: () => number;
}

/** What a node reports about its own part. */
export interface ClusterNodeSummary {
  id: string;
  role: 'worker' | 'client';
  partitions: number;
  /** The partitions it holds now. */
  held: number[];
  /** Workflows resumed by the recoveries so far, and those found waiting for a person or a signal. */
  resumed: number;
  waiting: number;
  /** When its last heartbeat's lease sync came back from the store (ISO, by the node's clock); undefined before the first. */
  lastHeartbeatAt: string | undefined;
  leaseTtlMs: number;
}

/** One process's membership: its leases, its heartbeat, the log follower, and what the engine may drive. */
export interface ClusterNode {
  readonly id: string;
  /** Give it to `createEngine({ ownership })`. */
  readonly ownership: WorkflowOwnership;
  /**
   * Joins with the engine built on `ownership`: follows the log from its head, takes its share of
   * partitions, recovers their unfinished workflows (resolving once that is done), then heartbeats
   * every TTL/4.
   */
  start(engine: Engine): Promise<RecoverResult>;
  /** A client asks to drive this workflow; resolves after the heartbeat that tried to take its partition. */
  claim(workflowId: string): Promise<void>;
  /**
   * The other live node that holds the workflow's partition (as of the last heartbeat), with the
   * definitions it publishes (undefined when it publishes none); undefined when this node holds it,
   * or nobody does.
   */
  driverOf(workflowId: string): { id: string; pid: number; host: string; definitions?: { name: string; version: number }[] } | undefined;
  /** One heartbeat now (also what the timer runs). */
  heartbeat(): Promise<void>;
  summary(): ClusterNodeSummary;
  /**
   * Leaves: stops heartbeats and following, frees its leases and its record. Close the engine
   * first. `leave: false` keeps the leases until they expire, as a crash would (tests).
   */
  close(options?: { leave?: boolean }): Promise<void>;
}

/**
 * Creates a node of the cluster of engines sharing one store (docs/scaling.md). Records the
 * partition count in the store if it has none. Rejects when the lease table cannot be read.
 */
export async function createClusterNode(options: ClusterNodeOptions): Promise<ClusterNode> {
  const { store, leases, logger } = options;
  const role = options.role ?? 'worker';
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const now = options.now ?? Date.now;
  const id = options.id ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const partitions = await leases.partitions(options.partitions ?? DEFAULT_PARTITIONS);
  const startedAt = now();
  /** The leases this node holds, as its last heartbeat saw them; `validUntil` by its own clock. */
  const held = new Map<number, { fence: AppendFence; validUntil: number }>();
  const wantedIds = new Set<string>();
  const wantedPartitions = new Set<number>();
  let state: LeaseState = await leases.read();
  let engine: Engine | undefined;
  let beating: Promise<void> | undefined;
  let adopting: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let follower: LogFollower | undefined;
  let head = 0n;
  let closed = false;
  const totals = { resumed: 0, waiting: 0 };
  let lastBeatAt: number | undefined;
  const space = processSpace();
  /** What the recoveries of the first heartbeat found (what `start` reports). */
  const initial: Required<RecoverResult> = { resumed: [], waiting: 0, blocked: [] };
  let starting = true;

  const inPartitions = (set: ReadonlySet<number>) => (workflowId: string) => set.has(partitionOf(workflowId, partitions));

  const ownership: WorkflowOwnership = {
    fenceFor(workflowId) {
      const lease = held.get(partitionOf(workflowId, partitions));
      if (lease === undefined || (role === 'client' && !wantedIds.has(workflowId))) return undefined;
      return lease.fence;
    },
    lost(fence) {
      if (held.get(fence.partition)?.fence.epoch !== fence.epoch) return;
      held.delete(fence.partition);
      void drop([fence.partition], 'taken over by another worker');
    },
    recording: (eventIds) => follower?.recording(eventIds),
    notRecorded: (eventIds) => follower?.notRecorded(eventIds),
    // A worker drives every workflow of its partitions; a client, what it claimed and their children.
    adoptChild: async (childId, parentId) => {
      if (role === 'client' && wantedIds.has(parentId) && !wantedIds.has(childId)) await claim(childId);
    },
  };

  /** Stops driving these partitions' workflows, appending nothing. */
  const drop = async (lost: readonly number[], why: string): Promise<void> => {
    if (lost.length === 0 || engine === undefined) return;
    const count = await engine.release(inPartitions(new Set(lost)));
    logger.info('Partitions released', { worker: id, partitions: lost.length, workflows: count, why });
  };

  /** Recovers the unfinished workflows of partitions just taken (one recovery at a time, in the background of heartbeats). */
  const adopt = (gained: readonly number[]): void => {
    const set = new Set(gained);
    const only = (workflowId: string) =>
      set.has(partitionOf(workflowId, partitions)) && held.has(partitionOf(workflowId, partitions)) && (role === 'worker' || wantedIds.has(workflowId));
    adopting = adopting.then(async () => {
      if (closed || engine === undefined) return;
      try {
        const recovered = await engine.recover({ only });
        totals.resumed += recovered.resumed.length;
        totals.waiting += recovered.waiting;
        if (starting) {
          initial.resumed.push(...recovered.resumed);
          initial.waiting += recovered.waiting;
          initial.blocked.push(...(recovered.blocked ?? []));
        }
        logger.info('Partitions taken', { worker: id, partitions: gained.length, resumed: recovered.resumed.length, waiting: recovered.waiting });
      } catch (error) {
        if (!closed) logger.warn('Recovering taken partitions failed', { worker: id, error: (error as Error).message });
      }
    });
  };

  const record = (at: number): WorkerRecord => ({
    id,
    role,
    pid: process.pid,
    host: hostname(),
    startedAt,
    lastSeen: at,
    info: {
      ttlMs,
      processSpace: space,
      ...(options.definitions === undefined ? {} : { definitions: options.definitions.list().map((definition) => `${definition.name}@${definition.version}`) }),
      lag: follower?.lag(head) ?? 0,
      live: engine?.liveCount() ?? 0,
      inFlight: engine?.inFlight().length ?? 0,
      ...options.info?.(),
    },
  });

  const beat = async (): Promise<void> => {
    const at = now();
    head = (await store.headPosition().catch(() => null)) ?? head;
    follower?.beat(head);
    // A lease this node could not renew in time may be another's by now: stop driving it first.
    const lapsed = [...held].filter(([, lease]) => lease.validUntil <= at).map(([partition]) => partition);
    for (const partition of lapsed) held.delete(partition);
    await drop(lapsed, 'lease not renewed in time');
    const busy = new Map<number, number>();
    for (const workflowId of engine?.inFlight() ?? []) {
      const partition = partitionOf(workflowId, partitions);
      busy.set(partition, (busy.get(partition) ?? 0) + 1);
    }
    // Planned on the table as it is now, so a partition given back since the last beat is seen free.
    state = await leases.read();
    // A worker of this machine whose process is gone (SIGKILL, a crash) frees its leases now, not after its TTL;
    // so do the leases of a worker another node evicted (its record is gone, its leases not all taken yet).
    const recorded = new Set(state.workers.map((worker) => worker.id));
    const gone = new Set([
      ...state.workers.filter((worker) => worker.id !== id && isGoneHere(worker, space)).map((worker) => worker.id),
      ...state.leases.flatMap((lease) => (lease.owner !== null && lease.owner !== id && !recorded.has(lease.owner) ? [lease.owner] : [])),
    ]);
    for (const worker of state.workers)
      if (gone.has(worker.id))
        logger.info('Worker gone: its process has ended; its partitions are free now', { worker: worker.id, pid: worker.pid, host: worker.host, by: id });
    const plan = planLeases({ me: id, role, now: at, ttlMs, partitions, state, wanted: wantedPartitions, busy, gone });
    // Released only after its workflows stopped here: the next owner never runs beside this one.
    for (const partition of plan.release) held.delete(partition);
    await drop(plan.release, 'rebalancing');
    const next = await leases.sync({ worker: record(at), now: at, ttlMs, ...plan, evict: [...gone] });
    lastBeatAt = now();
    state = next;
    const gained: number[] = [];
    const lost: number[] = [];
    const seen = new Set<number>();
    for (const lease of next.leases) {
      if (lease.owner !== id || lease.expiresAt <= at) continue;
      seen.add(lease.partition);
      const previous = held.get(lease.partition);
      if (previous !== undefined && previous.fence.epoch !== lease.epoch) lost.push(lease.partition);
      if (previous === undefined || previous.fence.epoch !== lease.epoch) gained.push(lease.partition);
      held.set(lease.partition, { fence: { partition: lease.partition, owner: id, epoch: lease.epoch }, validUntil: lease.expiresAt });
    }
    for (const partition of [...held.keys()])
      if (!seen.has(partition)) {
        held.delete(partition);
        lost.push(partition);
      }
    await drop(lost, 'lease lost');
    if (gained.length > 0) adopt(gained);
    // Alone on the store, nothing but this engine writes: following the log would only read its own appends back.
    follower?.follow(next.workers.some((worker) => worker.id !== id && !gone.has(worker.id) && isLive(worker, at, ttlMs)));
  };

  const heartbeat = (): Promise<void> => {
    if (closed) return Promise.resolve();
    const running =
      beating ??
      beat()
        .catch((error: unknown) => {
          logger.warn('Heartbeat failed', { worker: id, error: (error as Error).message });
        })
        .finally(() => {
          beating = undefined;
        });
    beating = running;
    return running;
  };
  const claim = async (workflowId: string): Promise<void> => {
    wantedIds.add(workflowId);
    wantedPartitions.add(partitionOf(workflowId, partitions));
    await beating;
    await heartbeat();
    await adopting;
  };
  const summary = (): ClusterNodeSummary => ({
    id,
    role,
    partitions,
    held: [...held.keys()].sort((a, b) => a - b),
    ...totals,
    lastHeartbeatAt: lastBeatAt === undefined ? undefined : new Date(lastBeatAt).toISOString(),
    leaseTtlMs: ttlMs,
  });

  return {
    id,
    ownership,
    async start(started) {
      engine = started;
      head = (await store.headPosition()) ?? 0n;
      follower = createLogFollower(store, logger, head, (event) => started.noticeAppend(event));
      await heartbeat();
      await adopting;
      starting = false;
      timer = setInterval(() => void heartbeat(), Math.max(10, Math.floor(ttlMs / BEATS_PER_TTL)));
      logger.info('Joined the cluster', { worker: id, role, partitions, held: held.size });
      const { blocked, ...result } = initial;
      return blocked.length === 0 ? result : { ...result, blocked };
    },
    claim,
    driverOf(workflowId) {
      const at = now();
      const partition = partitionOf(workflowId, partitions);
      const lease = state.leases.find((candidate) => candidate.partition === partition);
      if (lease === undefined || lease.owner === null || lease.owner === id || lease.expiresAt <= at) return undefined;
      const worker = state.workers.find((candidate) => candidate.id === lease.owner);
      if (worker === undefined || !isLive(worker, at, ttlMs)) return undefined;
      const published = worker.info.definitions;
      const definitions = Array.isArray(published)
        ? published.flatMap((entry) => {
            const [, name, version] = typeof entry === 'string' ? (/^(.+)@(\d+)$/.exec(entry) ?? []) : [];
            return name === undefined ? [] : [{ name, version: Number(version) }];
          })
        : undefined;
      return { id: worker.id, pid: worker.pid, host: worker.host, ...(definitions === undefined ? {} : { definitions }) };
    },
    heartbeat,
    summary,
    async close(closeOptions = {}) {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      follower?.close();
      await beating;
      await adopting;
      held.clear();
      if (closeOptions.leave === false) return;
      await leases.leave(id).catch((error: unknown) => logger.warn('Leaving the cluster failed', { worker: id, error: (error as Error).message }));
    },
  };
}
