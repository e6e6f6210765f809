import type { WorkflowCommand, CommandType } from './commands.js';
import { COMMAND_TYPES } from './commands.js';
import type { WorkflowEvent } from './events.js';
import { type WorkflowSnapshot, viewOf } from './snapshotView.js';

/**
 * The recorded event a command causes in this state. Pure: it does not check that the event is
 * allowed now; `snapshot.can(event)` does.
 */
export function commandToEvent(command: WorkflowCommand, snapshot: WorkflowSnapshot): WorkflowEvent {
  return eventFor(command, viewOf(snapshot).step ?? '(none)');
}

function eventFor(command: WorkflowCommand, step: string): WorkflowEvent {
  switch (command.type) {
    case 'APPROVE':
      return { type: 'HumanDecisionReceived', data: { v: 1, step, decision: 'approve' } };
    case 'REJECT':
      return { type: 'HumanDecisionReceived', data: { v: 1, step, decision: 'reject', ...(command.reason === undefined ? {} : { feedback: command.reason }) } };
    case 'REQUEST_REVISION':
      return { type: 'HumanDecisionReceived', data: { v: 1, step, decision: 'request_revision', feedback: command.feedback } };
    case 'CANCEL':
      return { type: 'WorkflowCancelled', data: { v: 1, reason: command.reason } };
  }
}

const SAMPLES: Record<CommandType, WorkflowCommand> = {
  APPROVE: { type: 'APPROVE' },
  REJECT: { type: 'REJECT' },
  REQUEST_REVISION: { type: 'REQUEST_REVISION', feedback: '-' },
  CANCEL: { type: 'CANCEL', reason: '-' },
};

/** The commands the workflow accepts in this state. */
export function acceptedCommands(snapshot: WorkflowSnapshot): CommandType[] {
  if (snapshot.status !== 'active') return [];
  const step = viewOf(snapshot).step ?? '(none)';
  return COMMAND_TYPES.filter((type) => snapshot.can(eventFor(SAMPLES[type], step)));
}
