import { requestInput } from '../decisions.js';
import { afterPerson, decisionsAt, reviseTo } from './humanDecisions.js';
import { type StepKindRules, guard, noPhase } from './stepKind.js';

/**
 * `approval`: a gate that waits for a person, entered by HumanInputRequested when it is on for
 * this workflow (recorded at start) and passed by when it is off. Runs no code.
 */
export const approvalKind: StepKindRules = {
  validate(structure, step, index, fail) {
    if (index === 0) fail(`approval gate "${step.name}" cannot be the first step`);
    if (structure.steps[index - 1]?.kind === 'approval') fail(`approval gate "${step.name}" cannot follow another gate`);
    const before = structure.steps.slice(0, index);
    if (step.revises !== undefined && !before.some((other) => other.name === step.revises && other.kind === 'produce')) {
      fail(`approval gate "${step.name}" revises "${step.revises}", which is not a producing step before it`);
    }
  },

  entry: (step, builder, guards) => ({
    transitions: {
      HumanInputRequested: [
        {
          target: builder.ref(`${step.name}.waiting`),
          guard: guards([guard('isStep', { step: step.name }), guard('gateEnabled', { gate: step.name, enabled: true })]),
          actions: { type: 'humanInputRequested', params: { kind: 'approval' } },
        },
      ],
    },
    passOver: guard('gateEnabled', { gate: step.name, enabled: false }),
  }),

  state(step, index, builder) {
    const target = step.revises;
    return builder.compound(step, 'waiting', {
      waiting: { tags: ['waiting'], on: decisionsAt(builder, step.name, target, false) },
      accepted: { on: builder.advance(index) },
      rejected: { on: builder.failWorkflow },
      ...(target === undefined ? {} : { revising: { on: reviseTo(builder, target) } }),
    });
  },

  enter: (step, { context }) =>
    context.policies.approvals[step.name] === true ? requestInput(step, 'Approval required before continuing', step.revises !== undefined) : undefined,

  decide: (step, phase, deciding) => afterPerson(step, phase, deciding, step.revises) ?? noPhase(step, phase),
};
