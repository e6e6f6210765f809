import type { DecodedEvent } from './decodeEvent.js';

/** A `metrics_steps` row: workflow, revision, tenant, definition, step, duration, then the model call's usage (or nulls). */
export type MetricsStepRow = [
  string,
  number,
  string | null,
  string,
  string,
  number | null,
  string | null,
  number | null,
  number | null,
  number | null,
  number | null,
];
/** A `metrics_revisions` row: workflow, revision, tenant, definition, step. */
export type MetricsRevisionRow = [string, number, string | null, string, string];

/** What one event changes in the metrics tables; every metrics read model writes these. */
export type MetricsChange =
  /** Insert if missing: workflow, tenant, definition, version, started (epoch ms). */
  | { kind: 'started'; row: [string, string | null, string, number, number] }
  /** Only if not ended yet. */
  | { kind: 'ended'; workflowId: string; endedMs: number; outcome: 'completed' | 'failed' | 'cancelled' }
  /** Insert if missing (keyed by workflow and revision). */
  | { kind: 'step'; row: MetricsStepRow }
  | { kind: 'revision'; row: MetricsRevisionRow }
  /** The latest start of a step, replacing the previous one. */
  | { kind: 'stepStart'; workflowId: string; step: string; at: number };

type Usage = { model: string; inputTokens: number; outputTokens: number; costUsd: number; latencyMs: number } | undefined;

const stepRow = (
  workflowId: string,
  revision: number,
  tenant: string | null,
  definition: string,
  step: string,
  duration: number | null,
  usage: Usage,
): MetricsStepRow =>
  usage === undefined
    ? [workflowId, revision, tenant, definition, step, duration, null, null, null, null, null]
    : [workflowId, revision, tenant, definition, step, duration, usage.model, usage.inputTokens, usage.outputTokens, usage.costUsd, usage.latencyMs];

/**
 * The metrics rules: what an event contributes. `startOf` gives the latest recorded start of a
 * step (the batch's latest, else the table's), for a completed step that carries no duration.
 */
export function metricsChangeOf(
  { workflowId, revision, event, metadata }: DecodedEvent,
  startOf: (workflowId: string, step: string) => number | undefined,
): MetricsChange | undefined {
  const definition = metadata.definition;
  const tenant = metadata.tenant ?? null;
  switch (event.type) {
    case 'WorkflowStarted':
      return { kind: 'started', row: [workflowId, tenant, event.data.definition, event.data.version, Date.parse(metadata.at)] };
    case 'StepStarted':
      return { kind: 'stepStart', workflowId, step: event.data.step, at: Date.parse(metadata.at) };
    case 'StepCompleted': {
      const { step, llm: usage, durationMs } = event.data;
      let duration = durationMs;
      if (duration === undefined) {
        const at = Date.parse(metadata.at);
        duration = at - (startOf(workflowId, step) ?? at);
      }
      return { kind: 'step', row: stepRow(workflowId, revision, tenant, definition, step, duration, usage) };
    }
    case 'StepFailed':
      // An attempt its step retries is not counted: the iteration's outcome totals its calls again.
      return event.data.llm === undefined || event.data.retryAt !== undefined
        ? undefined
        : { kind: 'step', row: stepRow(workflowId, revision, tenant, definition, event.data.step, null, event.data.llm) };
    case 'RevisionRequested':
      return { kind: 'revision', row: [workflowId, revision, tenant, definition, event.data.step] };
    // CallCompleted is not counted: the step's outcome totals its journaled calls, and counting both would count each call twice.
    case 'WorkflowCompleted':
      return { kind: 'ended', workflowId, endedMs: Date.parse(metadata.at), outcome: 'completed' };
    case 'WorkflowFailed':
      return { kind: 'ended', workflowId, endedMs: Date.parse(metadata.at), outcome: 'failed' };
    case 'WorkflowCancelled':
      return { kind: 'ended', workflowId, endedMs: Date.parse(metadata.at), outcome: 'cancelled' };
    default:
      return undefined;
  }
}

/** The key of a (workflow, step) pair in a batch's map of step starts. */
export const stepKey = (workflowId: string, step: string): string => `${workflowId}\u0000${step}`;
