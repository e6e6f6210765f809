import { assign } from 'xstate';
import type { WorkflowContext } from './context.js';
import type { WorkflowEvent, WorkflowEventOf, WorkflowEventType } from './events.js';

/** What a guard or a context update reads: the context before the event, and the recorded event. */
export interface MachineArgs {
  context: WorkflowContext;
  event: WorkflowEvent;
}

export type PayloadOf<T extends WorkflowEventType> = WorkflowEventOf<T>['data'];

/** The event's payload when it is of `type`. */
export function dataOf<T extends WorkflowEventType>(event: WorkflowEvent, type: T): PayloadOf<T> | undefined {
  const data: unknown = event.type === type ? event.data : undefined;
  return data as PayloadOf<T> | undefined;
}

/** XState's `assign` of a context update (a pure function of the context and the recorded event). */
export const assignUpdate = <P extends object | undefined>(update: (args: MachineArgs, params: P) => Partial<WorkflowContext>) =>
  assign<WorkflowContext, WorkflowEvent, P, WorkflowEvent, never>(update);
