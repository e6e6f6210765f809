import { createHash } from 'node:crypto';
import type { EventToAppend, JsonObject, JsonValue } from '../../../src/eventstore/index.js';
import { createFolder, settle, type AnyWorkflowDefinition, type WorkflowEvent, type WorkflowSnapshot } from '../../../src/machines/index.js';

/**
 * Drives a definition's machine purely, the way the runtime does (settle, record, run the
 * activity, feed its outcome back), with scripted activity outcomes and human decisions instead of
 * models and people. Used to write golden histories and to build large streams for the bench.
 */
export interface Outcome {
  output: JsonValue;
  llm?: JsonObject;
  artifact?: JsonObject;
}

export interface DriveScript {
  /** The outcome of an activity: the output, with optional accounting. */
  outcome: (step: string, iteration: number) => Outcome;
  /** A person's answer when the workflow waits. */
  decide?: (step: string) => { decision: 'approve' | 'reject' | 'request_revision'; feedback?: string; sender: string } | { cancel: string; sender: string };
  start?: string;
  stepMs?: number;
  tenant?: string;
}

export function driveHistory(definition: AnyWorkflowDefinition, workflowId: string, rawInput: unknown, script: DriveScript): EventToAppend[] {
  const folder = createFolder(definition.machine);
  const input = definition.input.parse(rawInput) as JsonValue;
  const startMs = Date.parse(script.start ?? '2026-01-01T00:00:00.000Z');
  const stepMs = script.stepMs ?? 1000;
  const recorded: EventToAppend[] = [];
  let clock = startMs;
  let snapshot: WorkflowSnapshot = folder.initial();

  const record = (events: readonly WorkflowEvent[], sender: string) => {
    for (const event of events) {
      snapshot = folder.apply(snapshot, event);
      clock += stepMs;
      const data = event.data as JsonObject;
      const metadata: JsonObject = {
        workflowId,
        definition: definition.name,
        version: definition.version,
        sender,
        at: new Date(clock).toISOString(),
        state: JSON.stringify(snapshot.value),
      };
      if (script.tenant !== undefined) metadata.tenant = script.tenant;
      if (typeof data.step === 'string') metadata.step = data.step;
      if (typeof data.iteration === 'number') metadata.iteration = data.iteration;
      if (typeof data.attempt === 'number') metadata.attempt = data.attempt;
      recorded.push({ type: event.type, data: JSON.parse(JSON.stringify(data)) as JsonValue, metadata });
    }
  };
  const advance = (pending: WorkflowEvent[], sender: string) => {
    const from = snapshot;
    const settled = settle(folder, from, pending, { now: new Date(clock + stepMs).toISOString() });
    snapshot = from;
    record(settled.events, sender);
    return settled.next;
  };

  const inputHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
  const start: WorkflowEvent = {
    type: 'WorkflowStarted',
    data: {
      v: 1,
      workflowId,
      definition: definition.name,
      version: definition.version,
      input,
      inputHash,
      policies: definition.resolvePolicies(input, new Date(startMs)),
    },
  };
  let next = advance([start], 'system');
  for (let guard = 0; guard < 10_000; guard += 1) {
    if (next.kind === 'activity') {
      const outcome = script.outcome(next.step, next.iteration);
      const data = { v: 1 as const, step: next.step, iteration: next.iteration, attempt: next.attempt, ...outcome, durationMs: stepMs };
      next = advance([{ type: 'StepCompleted', data } as WorkflowEvent], 'system');
    } else if (next.kind === 'wait') {
      const answer = script.decide?.(next.step);
      if (answer === undefined) return recorded;
      const event: WorkflowEvent =
        'cancel' in answer
          ? { type: 'WorkflowCancelled', data: { v: 1, reason: answer.cancel } }
          : {
              type: 'HumanDecisionReceived',
              data: { v: 1, step: next.step, decision: answer.decision, ...(answer.feedback === undefined ? {} : { feedback: answer.feedback }) },
            };
      next = advance([event], answer.sender);
    } else {
      return recorded;
    }
  }
  throw new Error('the drive did not end');
}

export const usage = (model: string, inputTokens: number, outputTokens: number): JsonObject => ({
  model,
  inputTokens,
  outputTokens,
  costUsd: Number(((inputTokens * 3 + outputTokens * 15) / 1_000_000).toFixed(6)),
  latencyMs: 100 + outputTokens,
  attempts: 1,
  promptHash: createHash('sha256').update(`${model}:${inputTokens}:${outputTokens}`).digest('hex'),
});
