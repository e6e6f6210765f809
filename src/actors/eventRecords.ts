import type { EventToAppend, JsonValue, RecordedEvent } from '../eventstore/index.js';
import { type WorkflowEvent, type WorkflowEventMetadata, defaultUpcasterRegistry, isWorkflowEventType } from '../machines/index.js';
import { EngineError } from './errors.js';

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
