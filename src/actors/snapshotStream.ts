import type { EventStore, JsonValue } from '../eventstore/index.js';

/** Cached snapshots live beside the workflow stream, never in it: the stream stays the only truth. */
export const SNAPSHOT_CATEGORY = 'ecl.snapshot';
export const snapshotStream = (workflowId: string): string => `${SNAPSHOT_CATEGORY}-${workflowId}`;

/**
 * Bump when the persisted shape changes: older snapshots are then ignored and the stream folded.
 * 2: the context carries the journal of the step in flight (`calls`).
 * 3: the context drops `definition` and `version`; routes keep their choices in `routing`.
 * 4: a retried attempt's journal leaves out the call the last attempt failed on, if retryable (`rerunOnRetry`).
 * 5: fan-out items' calls in the journal (`item`); usage counts a retried iteration's calls once (`current.counted`).
 */
export const SNAPSHOT_SCHEMA = 5;

export interface CachedSnapshot {
  schema: number;
  definition: string;
  version: number;
  /** Revision of the last workflow event the snapshot covers, and that event's id (checked on load). */
  revision: number;
  eventId: string;
  tenant?: string;
  persisted: JsonValue;
}

export async function readCachedSnapshot(
  store: EventStore,
  workflowId: string,
  definition?: { name: string; version: number },
): Promise<CachedSnapshot | undefined> {
  const [record] = await store.readStream(snapshotStream(workflowId), { direction: 'backwards', from: 'end', limit: 1 });
  if (record === undefined || record.type !== 'SnapshotTaken') return undefined;
  const cached = record.data as unknown as CachedSnapshot;
  if (cached.schema !== SNAPSHOT_SCHEMA) return undefined;
  if (definition !== undefined && (cached.definition !== definition.name || cached.version !== definition.version)) return undefined;
  return cached;
}

export async function writeCachedSnapshot(store: EventStore, workflowId: string, snapshot: CachedSnapshot): Promise<void> {
  await store.append(snapshotStream(workflowId), [{ type: 'SnapshotTaken', data: snapshot as unknown as JsonValue }], { expectedRevision: 'any' });
}
