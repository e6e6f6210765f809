import { createInspector } from '@statelyai/inspect';
import type { WorkflowMachine } from '../machines/index.js';
import type { ReplayResult } from './replayHistory.js';

/** A Stately inspection event, as the inspector UI consumes it (typed loosely: see `InspectorSink`). */
export interface InspectionEvent {
  readonly type: string;
}

/** What `feedInspector` needs of an inspector (declared here: `@statelyai/inspect`'s own types need the DOM library). */
export interface InspectorSink {
  actor(actorRef: unknown, snapshot?: unknown, info?: unknown): void;
  event(target: string, event: unknown, info?: unknown): void;
  snapshot(actorRef: string, snapshot: unknown, info?: unknown): void;
}

/**
 * Feeds a replayed history to a Stately inspector: the actor (with the machine's definition, so
 * the UI draws the statechart), then for each recorded event the event and the snapshot after it.
 * Works with any inspector (`createWebSocketInspector`, a relay, a test adapter).
 */
export function feedInspector(inspector: InspectorSink, result: ReplayResult, machine: WorkflowMachine): void {
  const sessionId = `replay:${result.workflowId}`;
  const actorRef = { sessionId, logic: machine };
  const initial = result.transitions[0];
  inspector.actor(actorRef, { status: 'active', value: initial?.before ?? null, context: {} });
  let status: 'active' | 'done' = 'active';
  result.transitions.forEach((transition, index) => {
    const event = { ...transition.event, revision: transition.revision, at: transition.at, sender: transition.sender };
    inspector.event(sessionId, event, { source: transition.sender });
    if (index === result.transitions.length - 1 && result.snapshot.status === 'done') status = 'done';
    inspector.snapshot(
      sessionId,
      { status, value: transition.after, context: { iterations: transition.iterations, revision: transition.revision } },
      { event },
    );
  });
}

/** The inspection events of a replay, for a relay to serve to the inspector UI. */
export function inspectionEventsOf(result: ReplayResult, machine: WorkflowMachine): InspectionEvent[] {
  const events: InspectionEvent[] = [];
  feedInspector(createInspector({ send: (event) => events.push(event) }), result, machine);
  return events;
}
