import type { RecordedEvent } from '../eventstore/index.js';
import { type SendSignal, type WorkflowCommand, type WorkflowEvent, isEventOf } from '../machines/index.js';
import { toWorkflowEvent } from './eventRecords.js';

/** A command recorded under the caller's id: its event and revisions, or that the id went to another kind of command. */
export type RecordedCommand = { same: true; event: WorkflowEvent; revision: number; lastRevision: number } | { same: false; message: string };

const causationOf = (record: RecordedEvent | undefined): unknown => (record?.metadata as { $causationId?: unknown } | undefined)?.$causationId;

/**
 * Finds the command recorded under `commandId` in a workflow's stream: the caller's id is its
 * event's causation id, and what it caused in the same batch follows it, each caused by the one
 * before (`lastRevision`). Undefined when none was.
 */
export function recordedCommand(records: readonly RecordedEvent[], command: WorkflowCommand | SendSignal, commandId: string): RecordedCommand | undefined {
  const index = records.findIndex((record) => causationOf(record) === commandId);
  const recorded = records[index];
  if (recorded === undefined) return undefined;
  const event = toWorkflowEvent(recorded);
  if (!isEventOf(command, event))
    return {
      same: false,
      message: `Command id ${JSON.stringify(commandId)} was already used for ${event.type} at revision ${recorded.revision}: use a new id for another command`,
    };
  let last = index;
  while (records[last + 1] !== undefined && causationOf(records[last + 1]) === records[last]?.id) last++;
  return { same: true, event, revision: recorded.revision, lastRevision: records[last]?.revision ?? recorded.revision };
}
