import type { EventToAppend, JsonValue, RecordedEvent } from '../eventstore/index.js';
import { type WorkflowEvent, type WorkflowEventMetadata, isWorkflowEventType } from '../machines/index.js';
import { EngineError } from './errors.js';

/** Fields of the metadata that are the same for every event of a workflow. */
export interface MetadataBase {
  workflowId: string;
  tenant?: string;
  definition: string;
  version: number;
}

/** The metadata of one recorded event: who, when, which step, and what caused it. */
export function metadataFor(base: MetadataBase, event: WorkflowEvent, sender: string, at: string, causationId: string | undefined, state: unknown): WorkflowEventMetadata {
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

/**
 * A stored record back as a machine event. The stream is written only by the engine through the
 * schemas, so records are trusted and not re-parsed event by event (that would dominate
 * rehydration); an unknown type means the stream is not a workflow stream.
 */
export function toWorkflowEvent(record: RecordedEvent): WorkflowEvent {
  if (!isWorkflowEventType(record.type)) {
    throw new EngineError('CORRUPT_STREAM', `Event ${record.revision} of ${record.stream} has type ${record.type}, which is not a workflow event`);
  }
  return { type: record.type, data: record.data } as WorkflowEvent;
}
