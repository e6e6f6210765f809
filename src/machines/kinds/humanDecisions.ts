import { type Decision, type Deciding, append } from '../decisions.js';
import { type StepPhase, type StepStructure, validatorOf } from '../structure.js';
import { type MachineBuilder, type Transitions, all, guard } from './stepKind.js';

// A person's decisions, shared by the kinds that wait for one: an approval gate, and a producing
// or validating step at its loop's cap or over the budget.

/** APPROVE, REJECT and (with a step to revise) REQUEST_REVISION at `step`; `budgeted`: APPROVE may also waive the budget. */
export const decisionsAt = (builder: MachineBuilder, step: string, target: string | undefined, budgeted: boolean): Transitions => ({
  HumanDecisionReceived: [
    ...(budgeted
      ? [{ target: 'done', guard: all([guard('isDecision', { step, decision: 'approve' }), guard('waitingFor', { kind: 'budget' })]), actions: 'waiveBudget' }]
      : []),
    { target: 'accepted', guard: guard('isDecision', { step, decision: 'approve' }), actions: 'humanDecided' },
    { target: 'rejected', guard: guard('isDecision', { step, decision: 'reject' }), actions: 'humanDecided' },
    ...(target === undefined
      ? []
      : [
          {
            target: 'revising',
            guard: all([guard('isDecision', { step, decision: 'request_revision' }), guard('canRevise', {})]),
            actions: { type: 'grantRound', params: { validator: validatorOf(builder.structure, target), target } },
          },
        ]),
  ],
});

/** The revision a person asked for: back to the producing step's next iteration. */
export const reviseTo = (builder: MachineBuilder, producer: string): Transitions => ({
  RevisionRequested: [{ target: builder.ref(`${producer}.pending`), guard: guard('isRevisionOf', { step: producer }), actions: 'revisionRequested' }],
});

/** Asking a person at `step`, at a loop's cap or over the budget. */
export const escalate = (step: string, kind: 'cap' | 'budget'): Transitions => ({
  HumanInputRequested: [{ target: 'waiting', guard: guard('isStep', { step }), actions: { type: 'humanInputRequested', params: { kind } } }],
});

/**
 * What comes next in the phases of a person's wait — `waiting`, `accepted`, `rejected`,
 * `revising` (back to `revises`) — or `undefined` in any other phase.
 */
export function afterPerson(step: StepStructure, phase: StepPhase, deciding: Deciding, revises: string | undefined): Decision | undefined {
  const { context } = deciding;
  switch (phase) {
    case 'waiting':
      return { kind: 'wait', step: step.name, accepts: context.waiting?.accepts ?? [] };
    case 'accepted':
      return deciding.advance(step);
    case 'rejected':
      return append({ type: 'WorkflowFailed', data: { v: 1, reason: `Rejected by a person at "${step.name}"` } });
    case 'revising': {
      if (revises === undefined) throw new Error(`Step "${step.name}" has nothing to revise`);
      return append({
        type: 'RevisionRequested',
        data: { v: 1, step: revises, by: 'human', iteration: context.iterations[revises] ?? 1, verdict: 'revise', feedback: context.feedback[revises] ?? '' },
      });
    }
    default:
      return undefined;
  }
}
