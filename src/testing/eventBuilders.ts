import type { JsonValue, WorkflowEvent } from '../machines/index.js';

type Pattern = string | RegExp;
/** A RegExp stands where the event holds a string: `then` matches it against the recorded text. */
const text = (value: Pattern): string => value as string;

/**
 * Shorthands for recorded events, for `workflowSpec`'s given/then lists. The default workflow id is
 * `wf-1`, as `workflowSpec`'s. Where a builder takes a `string | RegExp` (a failure's or a request's
 * reason), a RegExp matches the recorded text in `then`.
 */
export const ev = {
  stepStarted: (step: string, iteration = 1, attempt = 1, workflowId = 'wf-1', timeoutAt?: string): WorkflowEvent => ({
    type: 'StepStarted',
    data: { v: 1, step, iteration, attempt, idempotencyKey: `${workflowId}/${step}/${iteration}`, ...(timeoutAt === undefined ? {} : { timeoutAt }) },
  }),
  stepCompleted: (step: string, iteration: number, output: JsonValue, attempt = 1, extra: Record<string, unknown> = {}): WorkflowEvent =>
    ({ type: 'StepCompleted', data: { v: 1, step, iteration, attempt, output, ...extra } }) as WorkflowEvent,
  stepFailed: (step: string, iteration: number, code = 'BAD_REQUEST', attempt = 1): WorkflowEvent => ({
    type: 'StepFailed',
    data: { v: 1, step, iteration, attempt, error: { code, message: `${code} happened`, retryable: false } },
  }),
  /**
   * A journaled call's outcome: `outcome` is `{ output }` or `{ error }` (`{ code, message, retryable }`);
   * `extra` adds `kind` (default `run`), `llm` or `durationMs`.
   */
  callCompleted: (
    step: string,
    iteration: number,
    call: string,
    seq: number,
    outcome: { output: JsonValue } | { error: { code: string; message: string; retryable: boolean } },
    attempt = 1,
    extra: Record<string, unknown> = {},
  ): WorkflowEvent => ({ type: 'CallCompleted', data: { v: 1, step, iteration, attempt, call, kind: 'run', seq, ...outcome, ...extra } }) as WorkflowEvent,
  revision: (step: string, by: string, iteration: number, feedback: string): WorkflowEvent => ({
    type: 'RevisionRequested',
    data: { v: 1, step, by, iteration, verdict: 'revise', feedback },
  }),
  cap: (step: string, iterations: number, maxIterations: number, policy: 'fail' | 'accept' | 'escalate'): WorkflowEvent => ({
    type: 'IterationCapReached',
    data: { v: 1, step, iterations, maxIterations, policy },
  }),
  inputRequested: (step: string, reason: Pattern, accepts: string[]): WorkflowEvent =>
    ({ type: 'HumanInputRequested', data: { v: 1, step, reason: text(reason), accepts } }) as WorkflowEvent,
  decision: (step: string, decision: 'approve' | 'reject' | 'request_revision', feedback?: string): WorkflowEvent => ({
    type: 'HumanDecisionReceived',
    data: { v: 1, step, decision, ...(feedback === undefined ? {} : { feedback }) },
  }),
  failed: (reason: Pattern, error?: { code: string; message: string; retryable: boolean }): WorkflowEvent =>
    ({ type: 'WorkflowFailed', data: { v: 1, reason: text(reason), ...(error === undefined ? {} : { error }) } }) as WorkflowEvent,
  cancelled: (reason: string): WorkflowEvent => ({ type: 'WorkflowCancelled', data: { v: 1, reason } }),
  completed: (output: JsonValue, artifact?: Record<string, unknown>): WorkflowEvent =>
    ({ type: 'WorkflowCompleted', data: { v: 1, output, ...(artifact === undefined ? {} : { artifact }) } }) as WorkflowEvent,
};
