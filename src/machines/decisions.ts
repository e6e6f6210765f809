import type { WorkflowContext } from './context.js';
import type { WorkflowEvent } from './events.js';
import type { StepStructure, WorkflowStructure } from './structure.js';

/**
 * The decisions that need the definition's code — a sleep's due time, a signal's timeout, a
 * route's choice — each made once, when the step is entered, and recorded (replay never asks again).
 * Pure functions of the context (and `now`, given as data).
 */
export interface StepDecisions {
  /** ISO due time of sleep step `step`, entered at `now`. */
  sleepUntil(step: string, context: WorkflowContext, now: string): string;
  /** ISO time at which signal step `step`, entered at `now`, stops waiting; undefined: it waits for ever. */
  signalTimeoutAt(step: string, context: WorkflowContext, now: string): string | undefined;
  /** The step route `step` chooses (one of its `to`, or `completed`). Throws when the route's function does. */
  route(step: string, context: WorkflowContext): string;
  /** When step `step`, whose attempt `attempt` timed out at `now`, runs again (ISO); undefined: the step fails. */
  timeoutRetryAt(step: string, attempt: number, now: string): string | undefined;
}

/**
 * What happens next, decided purely from the snapshot (emmett's `decide`; XState's `transition`
 * is `evolve`). Automatic decisions are events to RECORD, so replay folds them instead of deriving
 * them again and never counts a revision twice.
 */
export type Decision =
  /** An automatic decision: append this event, then ask again. */
  | { kind: 'append'; event: WorkflowEvent }
  /** Work for the runtime: record StepStarted with these fields, then run the step's activity. */
  | { kind: 'activity'; step: string; iteration: number; attempt: number; idempotencyKey: string }
  /**
   * A step is in flight and one of its journaled calls was just recorded: nothing is decided until
   * the step's outcome. Only `settle` returns it (for a `CallCompleted`); `nextStep` never does.
   */
  | { kind: 'inFlight'; step: string; iteration: number; attempt: number }
  /**
   * Nothing to do until a command (a person's, or a signal) arrives — or, with `wakeAt`, until
   * that time (a signal's timeout).
   */
  | { kind: 'wait'; step: string; accepts: string[]; wakeAt?: string }
  /** Nothing to do until `at` (ISO): a sleep's due time, or a failed attempt's retry. */
  | { kind: 'timer'; step: string; at: string }
  /** Not started yet, or finished. */
  | { kind: 'idle' }
  | { kind: 'done'; status: 'completed' | 'failed' | 'cancelled' };

/** Where a decision is made: the snapshot's parts, the definition's decisions and the time. */
export interface Deciding {
  readonly structure: WorkflowStructure;
  readonly context: WorkflowContext;
  readonly decisions: StepDecisions | undefined;
  /** The decision time (ISO), when given. */
  readonly now: string | undefined;
  /** The iteration `step` runs at now (validating steps share their producer's). */
  iterationOf(step: string): number;
  /** The iteration a validating step's loop counts its cap from. */
  loopBaseOf(step: string): number;
  /** Enters the step at `index` (or completes after the last). */
  enter(index: number): Decision;
  /** Enters the step after `step`. */
  advance(step: StepStructure): Decision;
  /** The definition's decisions, for a kind that needs its code; throws when there are none. */
  needs(step: StepStructure): { decisions: StepDecisions; now: string };
}

/** The error code of a workflow that did not finish by its deadline. */
export const DEADLINE_PASSED = 'DEADLINE_PASSED';
/** The error code of a workflow whose sleep, signal or route function threw, or whose route chose a step it may not. */
export const DECISION_FAILED = 'DECISION_FAILED';

export const idempotencyKeyOf = (workflowId: string, step: string, iteration: number): string => `${workflowId}/${step}/${iteration}`;

export const append = (event: WorkflowEvent): Decision => ({ kind: 'append', event });

export const activity = (context: WorkflowContext, step: string, iteration: number, attempt: number): Decision => ({
  kind: 'activity',
  step,
  iteration,
  attempt,
  idempotencyKey: idempotencyKeyOf(context.workflowId, step, iteration),
});

/** Whether the ISO time `at` has come at `now`. */
export const due = (at: string, now: string): boolean => Date.parse(now) >= Date.parse(at);

/** Asks a person: the commands a person's wait accepts. */
export function requestInput(step: StepStructure, reason: string, revisable: boolean): Decision {
  const accepts = revisable ? ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL'] : ['APPROVE', 'REJECT', 'CANCEL'];
  return append({ type: 'HumanInputRequested', data: { v: 1, step: step.name, reason, accepts } });
}

/** A definition's decision function failed: the workflow fails, in any state, naming the step. */
export const decisionFailed = (reason: string): Decision =>
  append({ type: 'WorkflowFailed', data: { v: 1, reason, error: { code: DECISION_FAILED, message: reason, retryable: false } } });

/** The error recorded when a step's due time passes without an outcome. */
export const timeoutError = (step: string, timeoutAt: string) => ({
  code: 'STEP_TIMEOUT',
  message: `Step "${step}" did not finish by ${timeoutAt}`,
  retryable: false,
});

/** The index of step `name` in the structure; `completed` is the end, after the last step. */
export const indexIn = (structure: WorkflowStructure, name: string): number =>
  name === 'completed' ? structure.steps.length : structure.steps.findIndex((step) => step.name === name);

/** The workflow fails with the error its step recorded. */
export function stepFailed(step: StepStructure, context: WorkflowContext): Decision {
  const error = context.error ?? undefined;
  return append({
    type: 'WorkflowFailed',
    data: { v: 1, reason: `Step "${step.name}" failed: ${error?.message ?? 'unknown error'}`, ...(error === undefined ? {} : { error }) },
  });
}
