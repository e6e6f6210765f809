import type { WorkflowContext } from '../context.js';
import { type Decision, activity, append, due, requestInput, stepFailed, timeoutError } from '../decisions.js';
import { loopOf } from '../structure.js';
import { afterPerson, decisionsAt, escalate, reviseTo } from './humanDecisions.js';
import { type Phases, type StepKindRules, type Transitions, all, guard, merge, noPhase } from './stepKind.js';

/**
 * `produce` and `validate`: steps that run code (the runtime's activities), entered by StepStarted.
 * A validating step judges its producer: `approve` moves on, `revise` sends the producer back up
 * to the loop's cap, where the cap policy applies. Both are checked against the budget when done.
 */
export const activityKind: StepKindRules = {
  validate(structure, step, index, fail) {
    if (step.kind !== 'validate') return;
    const before = structure.steps.slice(0, index);
    if (step.validates === undefined || !before.some((other) => other.name === step.validates && other.kind === 'produce')) {
      fail(`validating step "${step.name}" must follow the producing step it judges`);
    }
  },

  entry: (step, builder, guards) => ({
    transitions: {
      StepStarted: [
        {
          target: builder.ref(`${step.name}.running`),
          guard: guards([guard('isStartOf', { step: step.name, loop: loopOf(builder.structure, step) })]),
          actions: 'stepStarted',
        },
      ],
    },
  }),

  state(step, index, builder) {
    const name = step.name;
    const budget: Transitions = { BudgetExceeded: [{ target: 'overBudget', guard: guard('isStep', { step: name }) }] };
    const validating = step.kind === 'validate';
    const producer = step.validates ?? name;
    const phases: Phases = {
      pending: { tags: ['activity'], on: builder.enter(index) },
      running: {
        tags: ['activity', 'running'],
        on: {
          StepStarted: [{ guard: guard('isRerunOf', { step: name }), actions: 'stepStarted' }],
          StepCompleted: [{ target: 'done', guard: guard('isOutcomeOf', { step: name }), actions: 'stepCompleted' }],
          StepFailed: [
            // A failed attempt its retry policy runs again: the step stays running until the next attempt.
            { guard: all([guard('isOutcomeOf', { step: name }), guard('willRetry', {})]), actions: 'attemptFailed' },
            { target: 'failed', guard: guard('isOutcomeOf', { step: name }), actions: 'stepFailed' },
          ],
          // A journaled call inside the step: the step stays running, its journal grows.
          CallCompleted: [{ guard: guard('isCallOf', { step: name }), actions: 'callCompleted' }],
        },
      },
      done: {
        on: validating
          ? merge(budget, builder.advance(index, [guard('verdictIs', { step: name, verdict: 'approve' })]), {
              RevisionRequested: [
                {
                  target: builder.ref(`${producer}.pending`),
                  guard: all([guard('verdictIs', { step: name, verdict: 'revise' }), guard('isRevisionOf', { step: producer })]),
                  actions: 'revisionRequested',
                },
              ],
              IterationCapReached: [{ target: 'capped', guard: all([guard('verdictIs', { step: name, verdict: 'revise' }), guard('isStep', { step: name })]) }],
            })
          : merge(budget, builder.advance(index)),
      },
      failed: { on: builder.failWorkflow },
      overBudget: { on: merge(builder.failWorkflow, escalate(name, 'budget')) },
      waiting: { tags: ['waiting'], on: decisionsAt(builder, name, validating ? producer : undefined, true) },
      accepted: { on: builder.advance(index) },
      rejected: { on: builder.failWorkflow },
    };
    if (validating) {
      phases.capped = {
        on: merge(builder.failWorkflow, builder.advance(index, [guard('capPolicyIs', { step: name, policy: 'accept' })]), escalate(name, 'cap')),
      };
      phases.revising = { on: reviseTo(builder, producer) };
    }
    return builder.compound(step, 'pending', phases);
  },

  enter: (step, deciding) => activity(deciding.context, step.name, deciding.iterationOf(step.name), 1),

  decide(step, phase, deciding): Decision {
    const { context, now } = deciding;
    const iteration = deciding.iterationOf(step.name);
    switch (phase) {
      case 'pending':
        return activity(context, step.name, iteration, 1);
      case 'running': {
        // Only asked when nothing is in flight, i.e. after a restart or a failed attempt: the attempt without an outcome runs again.
        const current = context.current;
        if (current?.timeoutAt !== undefined && now !== undefined && due(current.timeoutAt, now)) {
          // Its timeout came while no process ran it: fail, or retry as the step's `onTimeout` says.
          const retryAt = deciding.decisions?.timeoutRetryAt(step.name, current.attempt, now);
          const error = timeoutError(current.step, current.timeoutAt);
          return append({
            type: 'StepFailed',
            data: {
              v: 1,
              step: current.step,
              iteration: current.iteration,
              attempt: current.attempt,
              ...(retryAt === undefined ? { error } : { error: { ...error, retryable: true }, retryAt }),
            },
          });
        }
        if (current?.retryAt !== undefined && now !== undefined && !due(current.retryAt, now)) return { kind: 'timer', step: step.name, at: current.retryAt };
        return activity(context, step.name, iteration, (current?.attempt ?? 0) + 1);
      }
      case 'done': {
        const over = budgetOverrun(context);
        if (over !== undefined)
          return append({ type: 'BudgetExceeded', data: { v: 1, step: step.name, ...over, policy: context.policies.budget?.onExceed ?? 'fail' } });
        if (step.kind !== 'validate') return deciding.advance(step);
        const judgement = context.outputs[step.name] as { verdict?: string; feedback?: string } | null;
        if (judgement?.verdict === 'approve') return deciding.advance(step);
        const loop = context.policies.loops[step.name] ?? { maxIterations: 1, onCap: 'fail' as const };
        const cap = loop.maxIterations + (context.granted[step.name] ?? 0);
        const round = iteration - deciding.loopBaseOf(step.name);
        if (round < cap) {
          return append({
            type: 'RevisionRequested',
            data: { v: 1, step: step.validates ?? step.name, by: step.name, iteration, verdict: 'revise', feedback: judgement?.feedback ?? '' },
          });
        }
        return append({ type: 'IterationCapReached', data: { v: 1, step: step.name, iterations: round, maxIterations: cap, policy: loop.onCap } });
      }
      case 'capped': {
        const loop = context.policies.loops[step.name];
        const round = iteration - deciding.loopBaseOf(step.name);
        const policy = loop?.onCap ?? 'fail';
        if (policy === 'accept') return deciding.advance(step);
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
        if (context.policies.budget?.onExceed === 'escalate') {
          return requestInput(step, `The budget is exceeded (${usageLine(context)}): approve to continue without a limit, or reject`, step.kind === 'validate');
        }
        return append({ type: 'WorkflowFailed', data: { v: 1, reason: `Budget exceeded after "${step.name}" (${usageLine(context)})` } });
      }
      case 'failed':
        return stepFailed(step, context);
      default:
        return afterPerson(step, phase, deciding, step.validates) ?? noPhase(step, phase);
    }
  },
};

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
