import type { Observable, Subscription } from 'rxjs';
import type { AnyStateMachine } from 'xstate';
import { WORKFLOW_CATEGORY, workflowIdOf, type EventStore, type RecordedEvent } from '../eventstore/index.js';
import { isTerminalEventType } from '../machines/index.js';
import type { InspectorHandle } from './startInspectorRelay.js';

/** The machine a recorded workflow runs, for its statechart in the inspector; undefined = unknown. */
export type MachineResolver = (definition: string, version: number) => AnyStateMachine | undefined;

export interface WorkflowInspection {
  /** Feeds one recorded workflow event: registers the actor on first sight, then its event and snapshot. */
  record(event: RecordedEvent): void;
  /** Actors seen and not yet finished. */
  live(): string[];
}

const TERMINAL_STATUS: Record<string, string> = { WorkflowCompleted: 'done', WorkflowFailed: 'error', WorkflowCancelled: 'stopped' };

/**
 * Turns recorded transitions into Stately inspection events. Machines are pure and the runtime
 * does not keep live XState actors, so each workflow is presented as an actor whose id is the
 * workflow id, whose definition is its machine's config, and whose events are the recorded ones.
 * The snapshot's value is the state recorded in the event's metadata (no re-folding needed).
 */
export function createWorkflowInspection(inspector: InspectorHandle, machineOf: MachineResolver = () => undefined): WorkflowInspection {
  const known = new Map<string, { definition: string }>();
  return {
    record(event) {
      const workflowId = workflowIdOf(event.stream);
      if (workflowId === undefined) return;
      const metadata = event.metadata as Record<string, unknown>;
      const definition = typeof metadata.definition === 'string' ? metadata.definition : 'workflow';
      const version = typeof metadata.version === 'number' ? metadata.version : 1;
      const value = stateValueOf(metadata.state);
      const status = TERMINAL_STATUS[event.type] ?? 'active';
      if (!known.has(workflowId)) {
        known.set(workflowId, { definition });
        const machine = machineOf(definition, version);
        const ref = { sessionId: workflowId, id: workflowId, logic: machine === undefined ? { config: { id: definition } } : { config: machine.config } };
        inspector.actor(ref, { status: 'active', value: event.revision === 0 ? undefined : value, context: {} });
      }
      const machineEvent = { type: event.type, data: event.data };
      inspector.event(workflowId, machineEvent, { source: typeof metadata.sender === 'string' ? metadata.sender : undefined });
      inspector.snapshot(
        workflowId,
        { status: status as 'active', value, context: { revision: event.revision, step: metadata.step ?? null } },
        { event: machineEvent },
      );
      if (isTerminalEventType(event.type)) known.delete(workflowId);
    },
    live: () => [...known.keys()],
  };
}

const stateValueOf = (state: unknown): unknown => {
  if (typeof state !== 'string') return undefined;
  try {
    return JSON.parse(state);
  } catch {
    return state;
  }
};

/** Relays every workflow event appended from now on (or after `afterPosition`) to the inspector. */
export function inspectStore(store: EventStore, inspection: WorkflowInspection, options: { afterPosition?: bigint } = {}): Subscription {
  const events: Observable<RecordedEvent> = store.subscribeToAll({
    filter: { streamPrefixes: [`${WORKFLOW_CATEGORY}-`] },
    ...(options.afterPosition === undefined ? {} : { afterPosition: options.afterPosition }),
  });
  return events.subscribe({ next: (event) => inspection.record(event), error: () => undefined });
}
