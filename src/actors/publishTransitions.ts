import type { Logger } from 'winston';
import type { EventToAppend, RecordedEvent } from '../eventstore/index.js';
import { toWorkflowEvent } from './eventRecords.js';
import { type Settled, type WorkflowEvent, type WorkflowEventMetadata, stateLabel, viewOf } from '../machines/index.js';
import type { EngineEvent } from './types.js';

/** Where an actor's appended batch is told: the engine's feed and its logger. */
export interface TransitionSink {
  logger: Logger;
  publish: (event: EngineEvent) => void;
  hasListeners: () => boolean;
}

/** Lifecycle events are logged at `info`; every other recorded event at `debug`. */
const LIFECYCLE: ReadonlySet<string> = new Set(['WorkflowStarted', 'WorkflowCompleted', 'WorkflowFailed', 'WorkflowCancelled', 'HumanInputRequested']);

/**
 * Publishes and logs a batch after its append succeeded (never before: a subscriber or a log line
 * must not see an event the store refused). `first` is the revision of the batch's first event.
 * Called once per append, so replaying a stream (rehydration, recovery) logs nothing again.
 */
export function publishTransitions(
  sink: TransitionSink,
  workflowId: string,
  first: number,
  settled: Settled,
  records: readonly EventToAppend[],
  ids: readonly string[],
): void {
  const logger = sink.logger;
  const listening = sink.hasListeners();
  // A silent logger or a level that is off costs nothing: no metadata object is built for it.
  const info = !logger.silent && logger.isInfoEnabled();
  const debug = !logger.silent && logger.isDebugEnabled();
  if (!listening && !info && !debug) return;
  settled.events.forEach((event, index) => {
    if (listening) {
      const metadata = records[index]?.metadata as unknown as WorkflowEventMetadata;
      const after = index === settled.events.length - 1 ? settled.snapshot : undefined;
      sink.publish({
        kind: 'transition',
        workflowId,
        revision: first + index,
        eventId: ids[index] as string,
        event,
        metadata,
        state: after === undefined ? labelOf(settled.values[index]) : stateLabel(after),
        status: after === undefined ? statusOf(settled.values[index]) : viewOf(after).status,
      });
    }
    if (LIFECYCLE.has(event.type)) {
      if (info) logger.info(event.type, { workflowId, revision: first + index, ...summary(event) });
    } else if (debug) {
      logger.debug(event.type, { workflowId, revision: first + index, ...summary(event) });
    }
  });
}

function summary(event: WorkflowEvent): Record<string, unknown> {
  const data = event.data as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const key of ['step', 'iteration', 'attempt', 'call', 'reason', 'decision', 'policy'] as const) if (data[key] !== undefined) fields[key] = data[key];
  return fields;
}

/** The state label and status after an event inside a batch, from the machine's state value alone. */
const labelOf = (value: unknown): string =>
  typeof value === 'string' ? value : (Object.entries(value as Record<string, string>).map(([step, phase]) => `${step}.${phase}`)[0] ?? 'unknown');
const statusOf = (value: unknown) => {
  if (typeof value === 'string') return value === 'completed' || value === 'failed' || value === 'cancelled' || value === 'idle' ? value : 'running';
  return Object.values(value as Record<string, string>)[0] === 'waiting' ? ('waiting' as const) : ('running' as const);
};

/** Another writer's recorded event as a transition on this engine's feed; state and status come from the `state` it recorded. */
export function foreignTransition(workflowId: string, record: RecordedEvent): EngineEvent {
  const metadata = record.metadata as unknown as WorkflowEventMetadata;
  const value = recordedState((metadata as { state?: unknown }).state);
  return {
    kind: 'transition',
    workflowId,
    revision: record.revision,
    eventId: record.id,
    event: toWorkflowEvent(record),
    metadata,
    state: labelOf(value),
    status: statusOf(value),
  };
}

/** The state value an event's metadata recorded (as JSON text), or `unknown`. */
function recordedState(recorded: unknown): unknown {
  if (typeof recorded !== 'string') return recorded ?? 'unknown';
  try {
    return JSON.parse(recorded) as unknown;
  } catch {
    return 'unknown';
  }
}
