import type { WorkflowContext } from './context.js';
import type { WorkflowEvent } from './events.js';
import { COMMAND_TYPES, type CommandType } from './commands.js';
import { type WorkflowSnapshot, iterationOf, structureOf, viewOf } from './snapshotView.js';
import type { StepStructure, WorkflowStructure } from './structure.js';

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
  /** Nothing to do until a person sends a command. */
  | { kind: 'wait'; step: string; accepts: CommandType[] }
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
 * `now` (ISO) is the only time input: when given and a running step's recorded `timeoutAt` has
 * passed, the timeout is decided as a StepFailed (the timer "fires", also after a restart).
 */
export function nextStep(snapshot: WorkflowSnapshot, now?: string): Decision {
  const view = viewOf(snapshot);
  if (view.status === 'idle') return { kind: 'idle' };
  if (view.status === 'completed' || view.status === 'failed' || view.status === 'cancelled') return { kind: 'done', status: view.status };
  const structure = structureOf(snapshot);
  const context = snapshot.context;
  const step = structure.steps.find((candidate) => candidate.name === view.step);
  if (step === undefined || view.phase === undefined) throw new Error(`State ${JSON.stringify(snapshot.value)} names no step of "${structure.name}"`);
  const iteration = iterationOf(snapshot, step.name);

  switch (view.phase) {
    case 'pending':
      return activity(context, step.name, iteration, 1);
    case 'running': {
      // Only asked when nothing is in flight, i.e. after a restart: the attempt without an outcome runs again.
      const current = context.current;
      if (current?.timeoutAt !== undefined && now !== undefined && Date.parse(now) >= Date.parse(current.timeoutAt)) {
        return append({
          type: 'StepFailed',
          data: { v: 1, step: current.step, iteration: current.iteration, attempt: current.attempt, error: timeoutError(current.step, current.timeoutAt) },
        });
      }
      return activity(context, step.name, iteration, (current?.attempt ?? 0) + 1);
    }
    case 'done': {
      const over = budgetOverrun(context);
      if (over !== undefined)
        return append({ type: 'BudgetExceeded', data: { v: 1, step: step.name, ...over, policy: context.policies.budget?.onExceed ?? 'fail' } });
      if (step.kind !== 'validate') return advance(snapshot, structure, step);
      const judgement = context.outputs[step.name] as { verdict?: string; feedback?: string } | null;
      if (judgement?.verdict === 'approve') return advance(snapshot, structure, step);
      const loop = context.policies.loops[step.name] ?? { maxIterations: 1, onCap: 'fail' as const };
      const cap = loop.maxIterations + (context.granted[step.name] ?? 0);
      const producer = step.validates ?? step.name;
      if (iteration < cap) {
        return append({
          type: 'RevisionRequested',
          data: { v: 1, step: producer, by: step.name, iteration, verdict: 'revise', feedback: judgement?.feedback ?? '' },
        });
      }
      return append({ type: 'IterationCapReached', data: { v: 1, step: step.name, iterations: iteration, maxIterations: cap, policy: loop.onCap } });
    }
    case 'capped': {
      const loop = context.policies.loops[step.name];
      const policy = loop?.onCap ?? 'fail';
      if (policy === 'accept') return advance(snapshot, structure, step);
      if (policy === 'escalate') {
        return requestInput(
          step,
          `"${step.name}" still asks for a revision after ${iteration} iterations: approve the last output, reject it, or request one more revision`,
          true,
        );
      }
      return append({
        type: 'WorkflowFailed',
        data: { v: 1, reason: `"${step.name}" still asked for a revision after ${iteration} iterations (cap ${loop?.maxIterations ?? iteration})` },
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
    case 'waiting':
      return { kind: 'wait', step: step.name, accepts: (context.waiting?.accepts ?? []).filter(isCommandType) };
    case 'accepted':
      return advance(snapshot, structure, step);
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

const isCommandType = (type: string): type is CommandType => (COMMAND_TYPES as readonly string[]).includes(type);

function requestInput(step: StepStructure, reason: string, revisable: boolean): Decision {
  const accepts: CommandType[] = revisable ? ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL'] : ['APPROVE', 'REJECT', 'CANCEL'];
  return append({ type: 'HumanInputRequested', data: { v: 1, step: step.name, reason, accepts } });
}

/** After `step` is accepted: open the next enabled gate, start the next step, or complete. */
function advance(snapshot: WorkflowSnapshot, structure: WorkflowStructure, step: StepStructure): Decision {
  const context = snapshot.context;
  const index = structure.steps.indexOf(step);
  for (const next of structure.steps.slice(index + 1)) {
    if (next.kind === 'approval') {
      if (context.policies.approvals[next.name] === true) {
        return requestInput(next, 'Approval required before continuing', next.revises !== undefined);
      }
      continue;
    }
    return activity(context, next.name, iterationOf(snapshot, next.name), 1);
  }
  return append({ type: 'WorkflowCompleted', data: { v: 1, ...finalResult(structure, context) } });
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
