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
  /** A failed attempt; with `retryAt`, one the step's retry policy runs again then (its error retryable). */
  stepFailed: (step: string, iteration: number, code = 'BAD_REQUEST', attempt = 1, retryAt?: string): WorkflowEvent => ({
    type: 'StepFailed',
    data: {
      v: 1,
      step,
      iteration,
      attempt,
      error: { code, message: `${code} happened`, retryable: retryAt !== undefined },
      ...(retryAt === undefined ? {} : { retryAt }),
    },
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
  /** A person's decision; `note` is an approver's note on APPROVE. */
  decision: (step: string, decision: 'approve' | 'reject' | 'request_revision', feedback?: string, note?: string): WorkflowEvent => ({
    type: 'HumanDecisionReceived',
    data: { v: 1, step, decision, ...(feedback === undefined ? {} : { feedback }), ...(note === undefined ? {} : { note }) },
  }),
  budgetExceeded: (step: string, limit: 'tokens' | 'costUsd', max: number, used: number, policy: 'fail' | 'escalate'): WorkflowEvent => ({
    type: 'BudgetExceeded',
    data: { v: 1, step, limit, max, used, policy },
  }),
  /** A `sleep` step began; it wakes at `until` (ISO). */
  sleepStarted: (step: string, until: string): WorkflowEvent => ({ type: 'SleepStarted', data: { v: 1, step, until } }),
  /** A `sleep` step's due time came. */
  sleepEnded: (step: string, until: string): WorkflowEvent => ({ type: 'SleepEnded', data: { v: 1, step, until } }),
  /** A `signal` step began waiting for `signal`, until `timeoutAt` when it has a timeout. */
  signalAwaited: (step: string, signal: string, timeoutAt?: string): WorkflowEvent => ({
    type: 'SignalAwaited',
    data: { v: 1, step, signal, ...(timeoutAt === undefined ? {} : { timeoutAt }) },
  }),
  /** The awaited signal came with `data` (the step's output). */
  signalReceived: (step: string, signal: string, data: JsonValue): WorkflowEvent => ({ type: 'SignalReceived', data: { v: 1, step, signal, data } }),
  /** The awaited signal did not come by `timeoutAt`. */
  signalTimedOut: (step: string, signal: string, timeoutAt: string, policy: 'fail' | 'continue'): WorkflowEvent => ({
    type: 'SignalTimedOut',
    data: { v: 1, step, signal, timeoutAt, policy },
  }),
  /**
   * A `route` step chose `chose`; it goes `to` there (default `chose`: another target only when a
   * loop's cap was reached with `onCap: 'continue'`, then give `capReached`). `loops` counts the
   * back-edges taken so far, this one included.
   */
  routeChosen: (step: string, chose: string, loops = 0, options: { to?: string; capReached?: boolean } = {}): WorkflowEvent => ({
    type: 'RouteChosen',
    data: { v: 1, step, chose, to: options.to ?? chose, loops, ...(options.capReached === undefined ? {} : { capReached: options.capReached }) },
  }),
  failed: (reason: Pattern, error?: { code: string; message: string; retryable: boolean }): WorkflowEvent =>
    ({ type: 'WorkflowFailed', data: { v: 1, reason: text(reason), ...(error === undefined ? {} : { error }) } }) as WorkflowEvent,
  cancelled: (reason: string): WorkflowEvent => ({ type: 'WorkflowCancelled', data: { v: 1, reason } }),
  completed: (output: JsonValue, artifact?: Record<string, unknown>): WorkflowEvent =>
    ({ type: 'WorkflowCompleted', data: { v: 1, output, ...(artifact === undefined ? {} : { artifact }) } }) as WorkflowEvent,
};
