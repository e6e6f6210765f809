import type { WorkflowContext } from './context.js';
import { type Decision, type Deciding, type StepDecisions, append, due } from './decisions.js';
import { STEP_KINDS } from './kinds/index.js';
import { type WorkflowSnapshot, iterationOf, loopBaseOf, structureOf, viewOf } from './snapshotView.js';
import type { WorkflowStructure } from './structure.js';
import { DEADLINE_PASSED } from './workflowSetup.js';

export type { Decision, StepDecisions } from './decisions.js';
export { idempotencyKeyOf, timeoutError } from './decisions.js';

/**
 * What happens next, decided purely from the snapshot: the workflow's deadline, then the current
 * step's kind (src/machines/kinds) for its phase. `now` (ISO) is the only time input: when given
 * and a recorded due time has passed (a step's `timeoutAt`, a sleep, a retry, a signal's timeout,
 * the deadline), the timer "fires", also after a restart. `decisions` answer what needs the
 * definition's code (see {@link StepDecisions}).
 */
export function nextStep(snapshot: WorkflowSnapshot, now?: string, decisions?: StepDecisions): Decision {
  const view = viewOf(snapshot);
  if (view.status === 'idle') return { kind: 'idle' };
  if (view.status === 'completed' || view.status === 'failed' || view.status === 'cancelled') return { kind: 'done', status: view.status };
  const structure = structureOf(snapshot);
  const context = snapshot.context;
  const step = structure.steps.find((candidate) => candidate.name === view.step);
  if (step === undefined || view.phase === undefined) throw new Error(`State ${JSON.stringify(snapshot.value)} names no step of "${structure.name}"`);
  const deadline = context.policies.deadline;
  if (deadline !== undefined && now !== undefined && due(deadline.at, now)) {
    const reason = `The workflow did not finish by its deadline ${deadline.at}`;
    return append(
      deadline.onPass === 'cancel'
        ? { type: 'WorkflowCancelled', data: { v: 1, reason } }
        : { type: 'WorkflowFailed', data: { v: 1, reason, error: { code: DEADLINE_PASSED, message: reason, retryable: false } } },
    );
  }
  return STEP_KINDS[step.kind].decide(step, view.phase, decidingIn(snapshot, structure, context, decisions, now));
}

function decidingIn(
  snapshot: WorkflowSnapshot,
  structure: WorkflowStructure,
  context: WorkflowContext,
  decisions: StepDecisions | undefined,
  now: string | undefined,
): Deciding {
  const deciding: Deciding = {
    structure,
    context,
    decisions,
    now,
    iterationOf: (step) => iterationOf(snapshot, step),
    loopBaseOf: (step) => loopBaseOf(snapshot, step),
    enter(index) {
      // Each kind enters by its own event; a kind that is passed by (an approval gate that is off) lets the next one enter.
      for (const next of structure.steps.slice(index)) {
        const entered = STEP_KINDS[next.kind].enter(next, deciding);
        if (entered !== undefined) return entered;
      }
      return append({ type: 'WorkflowCompleted', data: { v: 1, ...finalResult(structure, context) } });
    },
    advance: (step) => deciding.enter(structure.steps.indexOf(step) + 1),
    needs(step) {
      if (decisions === undefined) throw new Error(`Entering ${step.kind} step "${step.name}" needs the definition's decisions`);
      // Without a time only a decision that needs none succeeds; one that does fails the workflow, naming the step.
      return { decisions, now: now ?? 'no time given' };
    },
  };
  return deciding;
}

/** The workflow's result: the output (and artifact) of the step the definition names as its output, else of the last producing step that ran. */
function finalResult(
  structure: WorkflowStructure,
  context: WorkflowContext,
): { output: WorkflowContext['outputs'][string]; artifact?: WorkflowContext['artifacts'][string] } {
  const chosen = structure.output ?? [...structure.steps].reverse().find((step) => step.kind === 'produce' && step.name in context.outputs)?.name;
  if (chosen === undefined) return { output: null };
  const artifact = context.artifacts[chosen];
  return artifact === undefined ? { output: context.outputs[chosen] ?? null } : { output: context.outputs[chosen] ?? null, artifact };
}
