import type { EventToAppend, JsonObject, JsonValue, RecordedEvent } from '../../../src/eventstore/index.js';
import { workflowStream } from '../../../src/eventstore/index.js';

/**
 * Builds workflow histories by hand from the recorded vocabulary, for projection specs and the
 * bench. Times advance by `stepMs` per event from `start`, so nothing depends on the clock.
 */
export interface HistoryOptions {
  workflowId: string;
  definition?: string;
  version?: number;
  tenant?: string;
  start?: string;
  stepMs?: number;
  sender?: string;
}

interface Meta {
  step?: string;
  iteration?: number;
  attempt?: number;
  sender?: string;
  state?: JsonValue;
}

export const llmUsage = (model = 'offline', inputTokens = 100, outputTokens = 50, costUsd = 0.001, latencyMs = 20): JsonObject => ({
  model,
  inputTokens,
  outputTokens,
  costUsd,
  latencyMs,
  attempts: 1,
  promptHash: `sha256:${model}-${inputTokens}-${outputTokens}`,
});

export function createHistory(options: HistoryOptions) {
  const { workflowId, definition = 'brief', version = 1, tenant, sender = 'system' } = options;
  const startMs = Date.parse(options.start ?? '2026-01-01T00:00:00.000Z');
  const stepMs = options.stepMs ?? 1000;
  const events: EventToAppend[] = [];
  const add = (type: string, data: JsonObject, meta: Meta = {}, v: number | null = 1) => {
    const at = new Date(startMs + events.length * stepMs).toISOString();
    const metadata: JsonObject = { workflowId, definition, version, sender: meta.sender ?? sender, at };
    if (tenant !== undefined) metadata.tenant = tenant;
    if (meta.step !== undefined) metadata.step = meta.step;
    if (meta.iteration !== undefined) metadata.iteration = meta.iteration;
    if (meta.attempt !== undefined) metadata.attempt = meta.attempt;
    if (meta.state !== undefined) metadata.state = JSON.stringify(meta.state);
    events.push({ type, data: v === null ? data : { v, ...data }, metadata });
    return builder;
  };
  const builder = {
    stream: workflowStream(workflowId),
    events,
    add,
    started: (input: JsonValue = { files: ['a.txt'] }) => add('WorkflowStarted', { workflowId, definition, version, input, inputHash: `hash-${workflowId}` }),
    stepStarted: (step: string, iteration = 1, attempt = 1) =>
      add('StepStarted', { step, iteration, attempt, idempotencyKey: `${workflowId}/${step}/${iteration}` }, { step, iteration, attempt, state: step }),
    stepCompleted: (step: string, iteration: number, output: JsonValue, extra: JsonObject = {}) =>
      add('StepCompleted', { step, iteration, attempt: 1, output, ...extra }, { step, iteration, attempt: 1 }),
    callCompleted: (step: string, iteration: number, attempt: number, call: string, seq: number, outcome: JsonObject, extra: JsonObject = {}) =>
      add(
        'CallCompleted',
        { step, iteration, attempt, call, kind: 'run', seq, ...outcome, ...extra },
        { step, iteration, attempt, state: { [step]: 'running' } },
      ),
    stepFailed: (step: string, iteration: number, attempt: number, code = 'TIMEOUT', retryable = true) =>
      add('StepFailed', { step, iteration, attempt, error: { code, message: `${step} ${code.toLowerCase()}`, retryable } }, { step, iteration, attempt }),
    revisionRequested: (step: string, by: string, iteration: number, feedback: string) =>
      add('RevisionRequested', { step, by, iteration, verdict: 'revise', feedback }, { step: by, iteration }),
    capReached: (step: string, iterations: number, policy: 'fail' | 'accept' | 'escalate' = 'fail') =>
      add('IterationCapReached', { step, iterations, maxIterations: iterations, policy }, { step }),
    humanInputRequested: (step: string, reason: string) => add('HumanInputRequested', { step, reason, accepts: ['APPROVE', 'REJECT'] }, { step }),
    humanDecision: (step: string, decision: 'approve' | 'reject' | 'request_revision', sender = 'key-ops', feedback?: string) =>
      add('HumanDecisionReceived', feedback === undefined ? { step, decision } : { step, decision, feedback }, { step, sender }),
    startedWithDeadline: (at: string, onPass: 'fail' | 'cancel' = 'fail', input: JsonValue = { customer: 'Ada' }) =>
      add('WorkflowStarted', {
        workflowId,
        definition,
        version,
        input,
        inputHash: `hash-${workflowId}`,
        policies: { loops: {}, approvals: {}, deadline: { at, onPass } },
      }),
    attemptFailed: (step: string, iteration: number, attempt: number, retryAt: string, code = 'BUSY') =>
      add(
        'StepFailed',
        { step, iteration, attempt, error: { code, message: `${step} ${code.toLowerCase()}`, retryable: true }, retryAt },
        { step, iteration, attempt, state: { [step]: 'running' } },
      ),
    sleepStarted: (step: string, until: string) => add('SleepStarted', { step, until }, { step, state: { [step]: 'sleeping' } }),
    sleepEnded: (step: string, until: string) => add('SleepEnded', { step, until }, { step, sender: 'timer', state: { [step]: 'done' } }),
    signalAwaited: (step: string, signal: string, timeoutAt?: string) =>
      add('SignalAwaited', timeoutAt === undefined ? { step, signal } : { step, signal, timeoutAt }, { step, state: { [step]: 'waiting' } }),
    signalReceived: (step: string, signal: string, data: JsonValue, sender = 'key-ops') =>
      add('SignalReceived', { step, signal, data }, { step, sender, state: { [step]: 'done' } }),
    signalTimedOut: (step: string, signal: string, timeoutAt: string, policy: 'fail' | 'continue') =>
      add('SignalTimedOut', { step, signal, timeoutAt, policy }, { step, sender: 'timer' }),
    routeChosen: (step: string, chose: string, loops: number, options: { to?: string; capReached?: boolean } = {}) =>
      add(
        'RouteChosen',
        { step, chose, to: options.to ?? chose, loops, ...(options.capReached === undefined ? {} : { capReached: options.capReached }) },
        { step, state: { [step]: 'chosen' } },
      ),
    approvedWithNote: (step: string, note: string, sender = 'key-ops') => add('HumanDecisionReceived', { step, decision: 'approve', note }, { step, sender }),
    humanInputRequestedWith: (step: string, reason: string, accepts: string[]) => add('HumanInputRequested', { step, reason, accepts }, { step }),
    budgetExceeded: (step: string, policy: 'fail' | 'escalate' = 'escalate') =>
      add('BudgetExceeded', { step, limit: 'tokens', max: 1000, used: 1200, policy }, { step }),
    failedWith: (reason: string, error: JsonObject) => add('WorkflowFailed', { reason, error }),
    completed: (output: JsonValue = 'done', artifact?: JsonObject) => add('WorkflowCompleted', artifact === undefined ? { output } : { output, artifact }),
    failed: (reason: string) => add('WorkflowFailed', { reason }),
    cancelled: (reason: string, sender = 'key-ops') => add('WorkflowCancelled', { reason }, { sender }),
  };
  return builder;
}

export type History = ReturnType<typeof createHistory>;

/** The sample `brief` run: extract, then draft/review `revisions + 1` times, then load and complete. */
export function briefHistory(workflowId: string, options: Omit<HistoryOptions, 'workflowId'> & { revisions?: number; finish?: boolean } = {}): History {
  const history = createHistory({ workflowId, ...options }).started();
  history.stepStarted('extract').stepCompleted('extract', 1, { facts: ['f1', 'f2'] }, { llm: llmUsage('offline', 200, 40), durationMs: 800 });
  const drafts = (options.revisions ?? 1) + 1;
  for (let iteration = 1; iteration <= drafts; iteration += 1) {
    history
      .stepStarted('draft', iteration)
      .stepCompleted('draft', iteration, `draft ${iteration}`, { llm: llmUsage('offline', 300, 500, 0.01), durationMs: 1500 });
    history.stepStarted('review', iteration);
    if (iteration < drafts) {
      history.stepCompleted(
        'review',
        iteration,
        { verdict: 'revise', feedback: `add numbers (${iteration})` },
        { llm: llmUsage('offline', 400, 30), durationMs: 600 },
      );
      history.revisionRequested('draft', 'review', iteration, `add numbers (${iteration})`);
    } else {
      history.stepCompleted('review', iteration, { verdict: 'approve', feedback: 'good' }, { llm: llmUsage('offline', 400, 20), durationMs: 500 });
    }
  }
  if (options.finish !== false) {
    const artifact = { hash: 'a'.repeat(64), bytes: 42, preview: 'the brief', path: `${workflowId}/brief.md` };
    history.stepStarted('load').stepCompleted('load', 1, { artifact: artifact.path }, { artifact, durationMs: 5 }).completed('the brief', artifact);
  }
  return history;
}

/** Turns appended events into recorded ones without a store: positions from `firstPosition`, revisions from 0. */
export function recordedFrom(histories: readonly History[], firstPosition = 1n): RecordedEvent[] {
  const recorded: RecordedEvent[] = [];
  let position = firstPosition;
  for (const history of histories) {
    history.events.forEach((event, revision) => {
      recorded.push({
        id: `${history.stream}-${revision}`,
        stream: history.stream,
        type: event.type,
        revision,
        position,
        data: event.data,
        metadata: event.metadata ?? {},
        created: new Date(0),
      });
      position += 1n;
    });
  }
  return recorded;
}
