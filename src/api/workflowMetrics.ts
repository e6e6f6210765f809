import { Histogram, type Registry } from 'prom-client';
import { workflowIdOf, type EventToAppend } from '../eventstore/index.js';
import type { WorkflowEventMetadata, WorkflowEventOf } from '../machines/index.js';
import type { AppendListener } from './countAppends.js';

/** Seconds. An append is a fraction of a millisecond in memory or SQLite, a few milliseconds over a network. */
export const APPEND_DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Seconds. Steps run from a millisecond of code to minutes of model calls and tools. */
export const STEP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Seconds. A model call: well under a second cached or offline, tens of seconds for long outputs. */
export const MODEL_CALL_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300];

/** Step attempts whose start is remembered (for a StepFailed, which records no duration); the oldest are forgotten first. */
const MAX_TRACKED_WORKFLOWS = 10_000;

/**
 * Histograms from what this process appends, told by `countAppends`' `observe`: the append's own
 * time, each step attempt's duration (StepCompleted's recorded `durationMs`; for StepFailed, the
 * time between the metadata `at` of its StepStarted and its own) and each model call's latency
 * (`llm.latencyMs` recorded on its CallCompleted). Only appends that succeeded count as steps and
 * calls, so a replay or a refused append never counts twice.
 */
export function createWorkflowMetrics(registry: Registry): AppendListener {
  const appends = new Histogram({
    name: 'ecl_store_append_duration_seconds',
    help: 'Duration of appends to the event store by this process, in seconds, by outcome (ok, error)',
    labelNames: ['outcome'] as const,
    buckets: APPEND_DURATION_BUCKETS,
    registers: [registry],
  });
  const steps = new Histogram({
    name: 'ecl_step_duration_seconds',
    help: 'Duration of step attempts run by this process, in seconds, by definition, step and outcome (completed, failed, retried)',
    labelNames: ['definition', 'step', 'outcome'] as const,
    buckets: STEP_DURATION_BUCKETS,
    registers: [registry],
  });
  const calls = new Histogram({
    name: 'ecl_model_call_duration_seconds',
    help: 'Latency of model calls made by this process as the provider reported it, in seconds, by model and outcome (ok, error)',
    labelNames: ['model', 'outcome'] as const,
    buckets: MODEL_CALL_DURATION_BUCKETS,
    registers: [registry],
  });
  // Label children per series, as in httpMetrics: one string key and a map lookup per observation.
  const stepSeries = new Map<string, Histogram.Internal<'definition' | 'step' | 'outcome'>>();
  const observeStep = (definition: string, step: string, outcome: string, seconds: number) => {
    const key = `${definition}\u0000${step}\u0000${outcome}`;
    let child = stepSeries.get(key);
    if (child === undefined) stepSeries.set(key, (child = steps.labels({ definition, step, outcome })));
    child.observe(seconds);
  };
  const okAppend = appends.labels({ outcome: 'ok' });
  const failedAppend = appends.labels({ outcome: 'error' });
  // workflowId -> `<step>/<iteration>/<attempt>` -> StepStarted's `at` (ISO, parsed only when used); a workflow's entry goes when it ends.
  const starts = new Map<string, Map<string, string>>();

  const started = (workflowId: string, key: string, at: string) => {
    let steps = starts.get(workflowId);
    if (steps === undefined) {
      if (starts.size >= MAX_TRACKED_WORKFLOWS) starts.delete(starts.keys().next().value as string);
      steps = new Map();
      starts.set(workflowId, steps);
    }
    steps.set(key, at);
  };
  /** The attempt's start, forgotten once asked for. */
  const startOf = (workflowId: string, key: string): string | undefined => {
    const at = starts.get(workflowId)?.get(key);
    starts.get(workflowId)?.delete(key);
    return at;
  };

  const record = (workflowId: string, event: EventToAppend) => {
    const metadata = event.metadata as unknown as WorkflowEventMetadata | undefined;
    if (metadata === undefined) return;
    switch (event.type) {
      case 'StepStarted': {
        const data = event.data as WorkflowEventOf<'StepStarted'>['data'];
        started(workflowId, `${data.step}/${data.iteration}/${data.attempt}`, metadata.at);
        break;
      }
      case 'StepCompleted': {
        const data = event.data as WorkflowEventOf<'StepCompleted'>['data'];
        const start = startOf(workflowId, `${data.step}/${data.iteration}/${data.attempt}`);
        const ms = data.durationMs ?? (start === undefined ? undefined : Date.parse(metadata.at) - Date.parse(start));
        if (ms !== undefined) observeStep(metadata.definition, data.step, 'completed', Math.max(0, ms) / 1000);
        break;
      }
      case 'StepFailed': {
        const data = event.data as WorkflowEventOf<'StepFailed'>['data'];
        const start = startOf(workflowId, `${data.step}/${data.iteration}/${data.attempt}`);
        const outcome = data.retryAt === undefined ? 'failed' : 'retried';
        if (start !== undefined) observeStep(metadata.definition, data.step, outcome, Math.max(0, Date.parse(metadata.at) - Date.parse(start)) / 1000);
        break;
      }
      case 'CallCompleted': {
        const data = event.data as WorkflowEventOf<'CallCompleted'>['data'];
        if (data.kind === 'complete' && data.llm !== undefined)
          calls.observe({ model: data.llm.model, outcome: data.error === undefined ? 'ok' : 'error' }, data.llm.latencyMs / 1000);
        break;
      }
      case 'WorkflowCompleted':
      case 'WorkflowFailed':
      case 'WorkflowCancelled':
        starts.delete(workflowId);
        break;
      default:
        break;
    }
  };

  return ({ stream, events, ok, seconds }) => {
    (ok ? okAppend : failedAppend).observe(seconds);
    const workflowId = workflowIdOf(stream);
    if (!ok || workflowId === undefined) return;
    for (const event of events) record(workflowId, event);
  };
}
