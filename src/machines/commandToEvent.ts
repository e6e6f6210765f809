import type { z } from 'zod';
import type { WorkflowCommand, CommandType, SendSignal } from './commands.js';
import { COMMAND_TYPES, problemsOf } from './commands.js';
import type { WorkflowEvent } from './events.js';
import { READABLE_ISSUES } from './readableIssues.js';
import { type WorkflowSnapshot, viewOf } from './snapshotView.js';

/** What a signal step's data must look like: the step's zod schema, looked up by step name. */
export type SignalSchemas = (step: string) => z.ZodType | undefined;

/**
 * The recorded event a command causes in this state. Pure: it does not check that the event is
 * allowed now; `snapshot.can(event)` does.
 */
export function commandToEvent(command: WorkflowCommand, snapshot: WorkflowSnapshot): WorkflowEvent {
  return eventFor(command, viewOf(snapshot).step ?? '(none)');
}

/** Whether `event` is of the kind `command` records (a decision of its kind, a cancellation, the same signal), whatever its step and data. */
export function isEventOf(command: WorkflowCommand | SendSignal, event: WorkflowEvent): boolean {
  if (command.type === 'SIGNAL') return event.type === 'SignalReceived' && event.data.signal === command.signal;
  const expected = eventFor(command, '');
  if (expected.type !== 'HumanDecisionReceived') return event.type === expected.type;
  return event.type === 'HumanDecisionReceived' && event.data.decision === expected.data.decision;
}

/** The event `command` records at `step` (what `commandToEvent` records for the step the workflow is at). */
export function eventFor(command: WorkflowCommand, step: string): WorkflowEvent {
  switch (command.type) {
    case 'APPROVE':
      return { type: 'HumanDecisionReceived', data: { v: 1, step, decision: 'approve', ...(command.note === undefined ? {} : { note: command.note }) } };
    case 'REJECT':
      return { type: 'HumanDecisionReceived', data: { v: 1, step, decision: 'reject', ...(command.reason === undefined ? {} : { feedback: command.reason }) } };
    case 'REQUEST_REVISION':
      return { type: 'HumanDecisionReceived', data: { v: 1, step, decision: 'request_revision', feedback: command.feedback } };
    case 'CANCEL':
      return { type: 'WorkflowCancelled', data: { v: 1, reason: command.reason } };
  }
}

/**
 * A signal's event, when the workflow waits for that signal now: its data parsed with the step's
 * schema (the parsed value is recorded). `undefined` when it does not wait for it.
 */
export function signalToEvent(
  signal: SendSignal,
  snapshot: WorkflowSnapshot,
  schemas: SignalSchemas,
): { ok: true; event: WorkflowEvent } | { ok: false; message: string } | undefined {
  const waiting = snapshot.status === 'active' ? snapshot.context.waiting : null;
  if (waiting?.kind !== 'signal' || waiting.signal !== signal.signal) return undefined;
  const schema = schemas(waiting.step);
  const parsed = schema === undefined ? { success: true as const, data: signal.data ?? null } : schema.safeParse(signal.data, READABLE_ISSUES);
  if (!parsed.success)
    return { ok: false, message: `Invalid data for signal ${signal.signal}: ${problemsOf(parsed.error.issues).replaceAll('(command)', '(data)')}` };
  return { ok: true, event: { type: 'SignalReceived', data: { v: 1, step: waiting.step, signal: signal.signal, data: (parsed.data ?? null) as never } } };
}

const SAMPLES: Record<CommandType, WorkflowCommand> = {
  APPROVE: { type: 'APPROVE' },
  REJECT: { type: 'REJECT' },
  REQUEST_REVISION: { type: 'REQUEST_REVISION', feedback: '-' },
  CANCEL: { type: 'CANCEL', reason: '-' },
};

/** The commands the workflow accepts in this state, and the signal it waits for, if any. */
export function acceptedCommands(snapshot: WorkflowSnapshot): string[] {
  if (snapshot.status !== 'active') return [];
  const step = viewOf(snapshot).step ?? '(none)';
  const waiting = snapshot.context.waiting;
  const signal = waiting?.kind === 'signal' && waiting.signal !== undefined ? [waiting.signal] : [];
  return [...signal, ...COMMAND_TYPES.filter((type) => snapshot.can(eventFor(SAMPLES[type], step)))];
}
