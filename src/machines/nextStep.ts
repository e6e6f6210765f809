import type { WorkflowContext } from './context.js';
import type { WorkflowEvent } from './events.js';
import { type WorkflowSnapshot, iterationOf, loopBaseOf, structureOf, viewOf } from './snapshotView.js';
import type { StepStructure, WorkflowStructure } from './structure.js';
import { DEADLINE_PASSED, DECISION_FAILED } from './workflowSetup.js';

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

export const idempotencyKeyOf = (workflowId: string, step: string, iteration: number): string => `${workflowId}/${step}/${iteration}`;

const append = (event: WorkflowEvent): Decision => ({ kind: 'append', event });
const activity = (context: WorkflowContext, step: string, iteration: number, attempt: number): Decision => ({
  kind: 'activity',
  step,
  iteration,
  attempt,
  idempotencyKey: idempotencyKeyOf(context.workflowId, step, iteration),
});

/**
 * `now` (ISO) is the only time input: when given and a recorded due time has passed (a step's
 * `timeoutAt`, a sleep, a retry, a signal's timeout, the workflow's deadline), the timer "fires",
 * also after a restart. `decisions` answer what needs the definition's code (see {@link StepDecisions}).
 */
export function nextStep(snapshot: WorkflowSnapshot, now?: string, decisions?: StepDecisions): Decision {
  const view = viewOf(snapshot);
  if (view.status === 'idle') return { kind: 'idle' };
  if (view.status === 'completed' || view.status === 'failed' || view.status === 'cancelled') return { kind: 'done', status: view.status };
  const structure = structureOf(snapshot);
  const context = snapshot.context;
  const step = structure.steps.find((candidate) => candidate.name === view.step);
  if (step === undefined || view.phase === undefined) throw new Error(`State ${JSON.stringify(snapshot.value)} names no step of "${structure.name}"`);
  const iteration = iterationOf(snapshot, step.name);
  const deadline = context.policies.deadline;
  if (deadline !== undefined && now !== undefined && due(deadline.at, now)) {
    const reason = `The workflow did not finish by its deadline ${deadline.at}`;
    return append(
      deadline.onPass === 'cancel'
        ? { type: 'WorkflowCancelled', data: { v: 1, reason } }
        : { type: 'WorkflowFailed', data: { v: 1, reason, error: { code: DEADLINE_PASSED, message: reason, retryable: false } } },
    );
  }
  const entering = { snapshot, structure, decisions, now };

  switch (view.phase) {
    case 'pending':
      return enter(entering, structure.steps.indexOf(step));
    case 'running': {
      // Only asked when nothing is in flight, i.e. after a restart or a failed attempt: the attempt without an outcome runs again.
      const current = context.current;
      if (current?.timeoutAt !== undefined && now !== undefined && due(current.timeoutAt, now)) {
        return append({
          type: 'StepFailed',
          data: { v: 1, step: current.step, iteration: current.iteration, attempt: current.attempt, error: timeoutError(current.step, current.timeoutAt) },
        });
      }
      if (current?.retryAt !== undefined && now !== undefined && !due(current.retryAt, now)) return { kind: 'timer', step: step.name, at: current.retryAt };
      return activity(context, step.name, iteration, (current?.attempt ?? 0) + 1);
    }
    case 'sleeping': {
      const until = context.sleeping?.until ?? now ?? '';
      if (now === undefined || !due(until, now)) return { kind: 'timer', step: step.name, at: until };
      return append({ type: 'SleepEnded', data: { v: 1, step: step.name, until } });
    }
    case 'chosen': {
      const route = context.routes?.[step.name];
      if (route === undefined) throw new Error(`Route "${step.name}" has no recorded choice`);
      if (route.to === step.name) {
        const reason = `Route "${step.name}" would loop a ${route.loops + 1}th time (cap ${step.maxLoops ?? 0})`;
        return append({ type: 'WorkflowFailed', data: { v: 1, reason } });
      }
      return enter(entering, indexIn(structure, route.to));
    }
    case 'done': {
      if (step.kind !== 'produce' && step.kind !== 'validate') return advance(entering, step);
      const over = budgetOverrun(context);
      if (over !== undefined)
        return append({ type: 'BudgetExceeded', data: { v: 1, step: step.name, ...over, policy: context.policies.budget?.onExceed ?? 'fail' } });
      if (step.kind !== 'validate') return advance(entering, step);
      const judgement = context.outputs[step.name] as { verdict?: string; feedback?: string } | null;
      if (judgement?.verdict === 'approve') return advance(entering, step);
      const loop = context.policies.loops[step.name] ?? { maxIterations: 1, onCap: 'fail' as const };
      const cap = loop.maxIterations + (context.granted[step.name] ?? 0);
      const producer = step.validates ?? step.name;
      const round = iteration - loopBaseOf(snapshot, step.name);
      if (round < cap) {
        return append({
          type: 'RevisionRequested',
          data: { v: 1, step: producer, by: step.name, iteration, verdict: 'revise', feedback: judgement?.feedback ?? '' },
        });
      }
      return append({ type: 'IterationCapReached', data: { v: 1, step: step.name, iterations: round, maxIterations: cap, policy: loop.onCap } });
    }
    case 'capped': {
      const loop = context.policies.loops[step.name];
      const policy = loop?.onCap ?? 'fail';
      const round = iteration - loopBaseOf(snapshot, step.name);
      if (policy === 'accept') return advance(entering, step);
      if (policy === 'escalate') {
        return requestInput(
          step,
          `"${step.name}" still asks for a revision after ${round} iterations: approve the last output, reject it, or request one more revision`,
          true,
        );
      }
      return append({
        type: 'WorkflowFailed',
        data: { v: 1, reason: `"${step.name}" still asked for a revision after ${round} iterations (cap ${loop?.maxIterations ?? round})` },
      });
    }
    case 'overBudget': {
      const budget = context.policies.budget;
      if (budget?.onExceed === 'escalate') {
        return requestInput(step, `The budget is exceeded (${usageLine(context)}): approve to continue without a limit, or reject`, step.kind === 'validate');
      }
      return append({ type: 'WorkflowFailed', data: { v: 1, reason: `Budget exceeded after "${step.name}" (${usageLine(context)})` } });
    }
    case 'failed': {
      const error = context.error ?? undefined;
      return append({
        type: 'WorkflowFailed',
        data: { v: 1, reason: `Step "${step.name}" failed: ${error?.message ?? 'unknown error'}`, ...(error === undefined ? {} : { error }) },
      });
    }
    case 'waiting': {
      const waiting = context.waiting;
      if (waiting?.kind === 'signal' && waiting.timeoutAt !== undefined) {
        if (now !== undefined && due(waiting.timeoutAt, now)) {
          const policy = step.onTimeout ?? 'fail';
          return append({ type: 'SignalTimedOut', data: { v: 1, step: step.name, signal: waiting.signal ?? '', timeoutAt: waiting.timeoutAt, policy } });
        }
        return { kind: 'wait', step: step.name, accepts: waiting.accepts, wakeAt: waiting.timeoutAt };
      }
      return { kind: 'wait', step: step.name, accepts: waiting?.accepts ?? [] };
    }
    case 'accepted':
      return advance(entering, step);
    case 'rejected':
      return append({ type: 'WorkflowFailed', data: { v: 1, reason: `Rejected by a person at "${step.name}"` } });
    case 'revising': {
      const target = step.kind === 'approval' ? step.revises : step.validates;
      if (target === undefined) throw new Error(`Step "${step.name}" has nothing to revise`);
      const targetIteration = context.iterations[target] ?? 1;
      return append({
        type: 'RevisionRequested',
        data: { v: 1, step: target, by: 'human', iteration: targetIteration, verdict: 'revise', feedback: context.feedback[target] ?? '' },
      });
    }
  }
}

const due = (at: string, now: string): boolean => Date.parse(now) >= Date.parse(at);
const indexIn = (structure: WorkflowStructure, name: string): number =>
  name === 'completed' ? structure.steps.length : structure.steps.findIndex((step) => step.name === name);

function requestInput(step: StepStructure, reason: string, revisable: boolean): Decision {
  const accepts = revisable ? ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL'] : ['APPROVE', 'REJECT', 'CANCEL'];
  return append({ type: 'HumanInputRequested', data: { v: 1, step: step.name, reason, accepts } });
}

interface Entering {
  snapshot: WorkflowSnapshot;
  structure: WorkflowStructure;
  decisions: StepDecisions | undefined;
  now: string | undefined;
}

/** After `step` is accepted: enter the step after it. */
const advance = (entering: Entering, step: StepStructure): Decision => enter(entering, entering.structure.steps.indexOf(step) + 1);

/** Enters step `index` by its kind's entry event (past gates that are off), or completes after the last step. */
function enter(entering: Entering, index: number): Decision {
  const { snapshot, structure, decisions, now } = entering;
  const context = snapshot.context;
  for (const next of structure.steps.slice(index)) {
    const needs = (): { decisions: StepDecisions; now: string } => {
      if (decisions === undefined) throw new Error(`Entering ${next.kind} step "${next.name}" needs the definition's decisions`);
      // Without a time only a decision that needs none succeeds; one that does fails the workflow, naming the step.
      return { decisions, now: now ?? 'no time given' };
    };
    switch (next.kind) {
      case 'approval':
        if (context.policies.approvals[next.name] === true) return requestInput(next, 'Approval required before continuing', next.revises !== undefined);
        continue;
      case 'produce':
      case 'validate':
        return activity(context, next.name, iterationOf(snapshot, next.name), 1);
      case 'sleep': {
        const at = needs();
        return decidedBy(next, () => ({
          type: 'SleepStarted',
          data: { v: 1, step: next.name, until: at.decisions.sleepUntil(next.name, context, at.now) },
        }));
      }
      case 'signal': {
        const at = needs();
        return decidedBy(next, () => {
          const timeoutAt = at.decisions.signalTimeoutAt(next.name, context, at.now);
          return { type: 'SignalAwaited', data: { v: 1, step: next.name, signal: next.signal ?? '', ...(timeoutAt === undefined ? {} : { timeoutAt }) } };
        });
      }
      case 'route':
        return choose(structure, context, next, needs().decisions);
    }
  }
  return append({ type: 'WorkflowCompleted', data: { v: 1, ...finalResult(structure, context) } });
}

const decisionFailed = (reason: string): Decision =>
  append({ type: 'WorkflowFailed', data: { v: 1, reason, error: { code: DECISION_FAILED, message: reason, retryable: false } } });

/** The entry event a definition's function decides; its throw fails the workflow, naming the step. */
function decidedBy(step: StepStructure, decide: () => WorkflowEvent): Decision {
  try {
    return append(decide());
  } catch (error) {
    return decisionFailed(`${step.kind === 'sleep' ? 'Sleep' : 'Signal'} step "${step.name}" could not be entered: ${(error as Error).message}`);
  }
}

/** A route's choice, recorded with its loop count; a back-edge past the cap goes on after the route (`continue`) or ends the workflow (`fail`). */
function choose(structure: WorkflowStructure, context: WorkflowContext, route: StepStructure, decisions: StepDecisions): Decision {
  let chose: string;
  try {
    chose = decisions.route(route.name, context);
  } catch (error) {
    return decisionFailed(`Route "${route.name}" failed to choose: ${(error as Error).message}`);
  }
  if (typeof chose !== 'string' || !(route.to ?? []).includes(chose)) {
    return decisionFailed(`Route "${route.name}" chose ${JSON.stringify(chose)}, which is not one of ${(route.to ?? []).join(', ')}`);
  }
  const at = structure.steps.indexOf(route);
  const loops = context.routes?.[route.name]?.loops ?? 0;
  if (indexIn(structure, chose) > at) return append({ type: 'RouteChosen', data: { v: 1, step: route.name, chose, to: chose, loops } });
  if (loops < (route.maxLoops ?? 0)) return append({ type: 'RouteChosen', data: { v: 1, step: route.name, chose, to: chose, loops: loops + 1 } });
  // The cap: `continue` goes to the step after the route; `fail` "goes" to the route itself, which the chosen phase fails.
  const to = route.onCap === 'continue' ? (structure.steps[at + 1]?.name ?? 'completed') : route.name;
  return append({ type: 'RouteChosen', data: { v: 1, step: route.name, chose, to, loops, capReached: true } });
}

/** The workflow's result: the output (and artifact) of the last producing step that ran. */
function finalResult(
  structure: WorkflowStructure,
  context: WorkflowContext,
): { output: WorkflowContext['outputs'][string]; artifact?: WorkflowContext['artifacts'][string] } {
  for (const step of [...structure.steps].reverse()) {
    if (step.kind !== 'produce' || !(step.name in context.outputs)) continue;
    const artifact = context.artifacts[step.name];
    return artifact === undefined ? { output: context.outputs[step.name] ?? null } : { output: context.outputs[step.name] ?? null, artifact };
  }
  return { output: null };
}

function budgetOverrun(context: WorkflowContext): { limit: 'tokens' | 'costUsd'; max: number; used: number } | undefined {
  const budget = context.policies.budget;
  if (budget === undefined || context.budgetWaived) return undefined;
  const tokens = context.usage.inputTokens + context.usage.outputTokens;
  if (budget.maxTokens !== undefined && tokens > budget.maxTokens) return { limit: 'tokens', max: budget.maxTokens, used: tokens };
  if (budget.maxCostUsd !== undefined && context.usage.costUsd > budget.maxCostUsd)
    return { limit: 'costUsd', max: budget.maxCostUsd, used: context.usage.costUsd };
  return undefined;
}

const usageLine = (context: WorkflowContext): string =>
  `${context.usage.inputTokens + context.usage.outputTokens} tokens, $${context.usage.costUsd.toFixed(4)}`;

/** The error recorded when a step's due time passes without an outcome. */
export const timeoutError = (step: string, timeoutAt: string) => ({
  code: 'STEP_TIMEOUT',
  message: `Step "${step}" did not finish by ${timeoutAt}`,
  retryable: false,
});
