import { workflowStream, type EventStore, type RecordedEvent } from '../eventstore/index.js';
import type { AnyWorkflowDefinition, DefinitionRegistry, WorkflowSnapshot } from '../machines/index.js';
import { EngineError } from './errors.js';
import { toWorkflowEvent } from './eventRecords.js';
import { folderOf } from './folderOf.js';
import { readCachedSnapshot } from './snapshotStream.js';

export interface LoadedWorkflow {
  definition: AnyWorkflowDefinition;
  snapshot: WorkflowSnapshot;
  /** Revision of the last event folded. */
  revision: number;
  lastEventId: string;
  tenant?: string;
  /** Revision covered by the cached snapshot used, or -1 when the whole stream was folded. */
  snapshotRevision: number;
}

/**
 * Rehydrates a workflow: the cached snapshot (if any, and if it still matches the stream) plus the
 * events after it, else the fold of the whole stream through the version that wrote it.
 */
export async function loadWorkflow(store: EventStore, registry: DefinitionRegistry, workflowId: string): Promise<LoadedWorkflow | undefined> {
  const stream = workflowStream(workflowId);
  const cached = await readCachedSnapshot(store, workflowId);
  const cachedDefinition = cached === undefined ? undefined : registry.get(cached.definition, cached.version);
  if (cached !== undefined && cachedDefinition !== undefined) {
    const records = await store.readStream(stream, { from: cached.revision });
    if (records[0]?.id === cached.eventId) {
      const folder = folderOf(cachedDefinition);
      const snapshot = foldRecords(folder.restore(cached.persisted), records.slice(1), folder.apply);
      const last = records[records.length - 1] as RecordedEvent;
      return {
        definition: cachedDefinition,
        snapshot,
        revision: last.revision,
        lastEventId: last.id,
        ...(cached.tenant === undefined ? {} : { tenant: cached.tenant }),
        snapshotRevision: cached.revision,
      };
    }
  }
  return foldStream(registry, workflowId, await store.readStream(stream));
}

/** A workflow from its whole stream (read, or seen by recovery's scan), folded through the version that wrote it. */
export function foldStream(registry: DefinitionRegistry, workflowId: string, records: readonly RecordedEvent[]): LoadedWorkflow | undefined {
  const first = records[0];
  if (first === undefined) return undefined;
  if (first.type !== 'WorkflowStarted') throw new EngineError('CORRUPT_STREAM', `${first.stream} does not begin with WorkflowStarted`);
  const started = first.data as { definition: string; version: number };
  const definition = registry.get(started.definition, started.version);
  if (definition === undefined) {
    throw new EngineError(
      'UNKNOWN_DEFINITION_VERSION',
      `Workflow ${workflowId} was written by ${started.definition} v${started.version}, which is not registered`,
    );
  }
  const folder = folderOf(definition);
  const snapshot = foldRecords(folder.initial(), records, folder.apply);
  const last = records[records.length - 1] as RecordedEvent;
  const tenant = (first.metadata as { tenant?: string }).tenant;
  return { definition, snapshot, revision: last.revision, lastEventId: last.id, ...(tenant === undefined ? {} : { tenant }), snapshotRevision: -1 };
}

/** Folds stored records; a record the machine rejects means the stream and the definition disagree. */
export function foldRecords(
  from: WorkflowSnapshot,
  records: readonly RecordedEvent[],
  apply: (snapshot: WorkflowSnapshot, event: ReturnType<typeof toWorkflowEvent>) => WorkflowSnapshot,
): WorkflowSnapshot {
  let snapshot = from;
  for (const record of records) {
    try {
      snapshot = apply(snapshot, toWorkflowEvent(record));
    } catch (error) {
      throw new EngineError('CORRUPT_STREAM', `Event ${record.revision} (${record.type}) of ${record.stream} does not fold: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return snapshot;
}
