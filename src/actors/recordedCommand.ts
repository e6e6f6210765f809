import { isDeepStrictEqual } from 'node:util';
import type { RecordedEvent } from '../eventstore/index.js';
import { type AnyWorkflowDefinition, type SendSignal, type WorkflowCommand, type WorkflowEvent, eventFor, isEventOf } from '../machines/index.js';
import { toWorkflowEvent } from './eventRecords.js';

/** A caller's id for a command (an idempotency key): 1-255 visible ASCII characters, no spaces, e.g. a UUID. */
export const COMMAND_ID_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** A command recorded under the caller's id: its event and revisions, or why a resend under that id is refused. */
export type RecordedCommand = { same: true; event: WorkflowEvent; revision: number; lastRevision: number } | { same: false; message: string };

/** What a command event's metadata says of the caller's id for it (recorded only when the caller gave one). */
const keyOf = (record: RecordedEvent) => record.metadata as { commandId?: unknown; batchLength?: unknown };

/**
 * Finds the command recorded under the caller's id `commandId` in a workflow's stream (the
 * `commandId` of its event's metadata). The same request sent again is that recording, with the
 * revision of the last event its batch appended (`batchLength`); the id used for another kind of
 * command, or with other data, is refused. Undefined when nothing was recorded under it.
 */
export function recordedCommand(
  records: readonly RecordedEvent[],
  command: WorkflowCommand | SendSignal,
  commandId: string,
  definition: Pick<AnyWorkflowDefinition, 'signalSchema'>,
): RecordedCommand | undefined {
  const recorded = records.find((record) => keyOf(record).commandId === commandId);
  if (recorded === undefined) return undefined;
  const event = toWorkflowEvent(recorded);
  const used = `Idempotency key ${JSON.stringify(commandId)} was already used for ${labelOf(event)}`;
  if (!isEventOf(command, event)) return { same: false, message: `${used} at revision ${recorded.revision}: use a new key for another command` };
  if (!sameRequest(command, event, definition))
    return { same: false, message: `${used} with other data at revision ${recorded.revision}: use a new key for another command` };
  const batchLength = keyOf(recorded).batchLength;
  const lastRevision = recorded.revision + (typeof batchLength === 'number' ? batchLength - 1 : 0);
  return { same: true, event, revision: recorded.revision, lastRevision };
}

/** Whether the resent command carries what its recorded event holds: a signal's data as its step's schema parses it; a command's note, reason or feedback. */
function sameRequest(command: WorkflowCommand | SendSignal, event: WorkflowEvent, definition: Pick<AnyWorkflowDefinition, 'signalSchema'>): boolean {
  // A command: exactly the event it records at the step it was recorded at.
  if (command.type !== 'SIGNAL') return isDeepStrictEqual(eventFor(command, (event.data as { step?: string }).step ?? ''), event);
  if (event.type !== 'SignalReceived') return false;
  // As the signal was recorded: parsed by its step's schema, absent as null.
  const parsed = definition.signalSchema(event.data.step)?.safeParse(command.data);
  if (parsed?.success === false) return false;
  const data = (parsed === undefined ? command.data : parsed.data) ?? null;
  return isDeepStrictEqual(JSON.parse(JSON.stringify(data)), event.data.data);
}

/** The command an event records, as the sender named it: `signal payment`, `APPROVE`, `CANCEL`. */
function labelOf(event: WorkflowEvent): string {
  if (event.type === 'SignalReceived') return `signal ${event.data.signal}`;
  if (event.type === 'HumanDecisionReceived') return event.data.decision.toUpperCase();
  return event.type === 'WorkflowCancelled' ? 'CANCEL' : event.type;
}
