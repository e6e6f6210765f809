import type { EventToAppend, JsonValue, RecordedEvent } from '../eventstore/index.js';
import { type WorkflowEvent, type WorkflowEventMetadata, defaultUpcasterRegistry, isWorkflowEventType } from '../machines/index.js';
import { EngineError } from './errors.js';
import { firedByTimer } from './wakeOf.js';

/** Fields of the metadata that are the same for every event of a workflow. */
export interface MetadataBase {
  workflowId: string;
  tenant?: string;
  definition: string;
  version: number;
}

/** The metadata of one recorded event: who, when, which step, and what caused it. */
export function metadataFor(
  base: MetadataBase,
  event: WorkflowEvent,
  sender: string,
  at: string,
  causationId: string | undefined,
  state: unknown,
): WorkflowEventMetadata {
  const metadata: WorkflowEventMetadata = {
    $correlationId: base.workflowId,
    workflowId: base.workflowId,
    definition: base.definition,
    version: base.version,
    sender,
    at,
    state: JSON.stringify(state),
  };
  if (causationId !== undefined) metadata.$causationId = causationId;
  if (base.tenant !== undefined) metadata.tenant = base.tenant;
  const data = event.data as { step?: string; iteration?: number; attempt?: number };
  if (data.step !== undefined) metadata.step = data.step;
  if (data.iteration !== undefined) metadata.iteration = data.iteration;
  if (data.attempt !== undefined) metadata.attempt = data.attempt;
  return metadata;
}

/** Where a batch comes from: its pending events are the sender's (a command, an outcome); what they cause is the runtime's. */
export interface BatchOrigin {
  sender: string;
  /** The first event's causation id: the command's id, or the event that led to the batch. */
  causationId: string | undefined;
  /** How many of the batch's events were pending (the rest were decided from them). */
  pending: number;
  /** The caller's id for the pending command (`SendOptions.commandId`). */
  commandId?: string | undefined;
}

/**
 * The records of one batch, each caused by the one before it. A batch of decisions alone is the
 * runtime's, or the timer's when a due timer opened it; a keyed command's event carries its key
 * and the batch's length, which a resend finds (recordedCommand.ts).
 */
export function batchRecords(
  base: MetadataBase,
  events: readonly WorkflowEvent[],
  states: readonly unknown[],
  origin: BatchOrigin,
  at: string,
  newId: () => string,
): { records: EventToAppend[]; ids: string[] } {
  const records: EventToAppend[] = [];
  const ids: string[] = [];
  let cause = origin.causationId;
  events.forEach((event, index) => {
    const id = newId();
    const sender = index < origin.pending ? origin.sender : index === 0 && origin.pending === 0 && firedByTimer(event) ? 'timer' : 'system';
    const metadata = metadataFor(base, event, sender, at, cause, states[index]);
    const keyed = index === 0 && origin.pending > 0 && origin.commandId !== undefined;
    if (keyed) Object.assign(metadata, { commandId: origin.commandId, batchLength: events.length });
    records.push(toAppend(id, event, metadata));
    ids.push(id);
    cause = id;
  });
  return { records, ids };
}

export const toAppend = (id: string, event: WorkflowEvent, metadata: WorkflowEventMetadata): EventToAppend => ({
  id,
  type: event.type,
  data: event.data as JsonValue,
  metadata: metadata as unknown as EventToAppend['metadata'],
});

const upcasters = defaultUpcasterRegistry();

/**
 * A stored record back as a machine event, upcast to today's payload version by the same registry
 * replay and the projections read with (an old payload is never rewritten, only read up). The
 * stream is written only by the engine through the schemas, so records are trusted and not
 * re-parsed event by event (that would dominate rehydration); an unknown type means the stream is
 * not a workflow stream, and a payload no upcaster can read means it is corrupt.
 */
export function toWorkflowEvent(record: RecordedEvent): WorkflowEvent {
  const type = record.type;
  if (!isWorkflowEventType(type)) {
    throw new EngineError('CORRUPT_STREAM', `Event ${record.revision} of ${record.stream} has type ${type}, which is not a workflow event`);
  }
  const data = record.data as { v?: unknown } | null;
  // The common case, a payload of today's version, costs one comparison and no copy.
  if (typeof data === 'object' && data !== null && data.v === upcasters.currentVersion(type)) return { type, data } as WorkflowEvent;
  const upcast = upcasters.upcast(type, record.data);
  if (!upcast.ok) {
    throw new EngineError(
      'CORRUPT_STREAM',
      `Event ${record.revision} (${type}) of ${record.stream} cannot be read: ${upcast.reason} (payload v${upcast.version})`,
    );
  }
  return { type, data: upcast.data } as unknown as WorkflowEvent;
}
