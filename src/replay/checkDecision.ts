import { nextStep, type StepDecisions, type WorkflowEvent, type WorkflowSnapshot } from '../machines/index.js';
import { canonical, canonicalEquals } from './canonicalEquals.js';

/** Events the engine decides from the snapshot alone: replay can decide them again and compare. */
const DECIDED: ReadonlySet<WorkflowEvent['type']> = new Set([
  'StepStarted',
  'RevisionRequested',
  'IterationCapReached',
  'BudgetExceeded',
  'HumanInputRequested',
  'SleepStarted',
  'SleepEnded',
  'SignalAwaited',
  'SignalTimedOut',
  'RouteChosen',
  'WorkflowCompleted',
  'WorkflowFailed',
]);

/**
 * Whether `recorded` is what the machine decides in `before` (at the event's own recorded time).
 * Returns why not, or undefined when it matches or the event is not an automatic decision
 * (model outputs, human commands, timer firings enter from outside and cannot be re-derived).
 */
export function checkDecision(before: WorkflowSnapshot, recorded: WorkflowEvent, at: string, decisions?: StepDecisions): string | undefined {
  if (!DECIDED.has(recorded.type)) return undefined;
  const decision = nextStep(before, at, decisions);
  if (recorded.type === 'StepStarted') {
    if (decision.kind !== 'activity') return `the machine decides ${describe(decision)} here, not to start a step`;
    const { step, iteration, attempt, idempotencyKey } = recorded.data;
    const expected = { step: decision.step, iteration: decision.iteration, attempt: decision.attempt, idempotencyKey: decision.idempotencyKey };
    return canonicalEquals({ step, iteration, attempt, idempotencyKey }, expected)
      ? undefined
      : `the machine starts ${canonical(expected)}, the record says ${canonical({ step, iteration, attempt, idempotencyKey })}`;
  }
  if (decision.kind !== 'append') return `the machine decides ${describe(decision)} here, the record says ${recorded.type}`;
  if (canonicalEquals(decision.event, recorded)) return undefined;
  return `the machine decides ${canonical(decision.event)}, the record says ${canonical(recorded)}`;
}

function describe(decision: ReturnType<typeof nextStep>): string {
  switch (decision.kind) {
    case 'append':
      return decision.event.type;
    case 'activity':
      return `to start ${decision.step} #${decision.iteration} (attempt ${decision.attempt})`;
    case 'wait':
      return `to wait at ${decision.step}`;
    case 'timer':
      return `to wait at ${decision.step} until ${decision.at}`;
    case 'inFlight':
      return `to wait for ${decision.step} #${decision.iteration} (attempt ${decision.attempt}) in flight`;
    case 'idle':
      return 'nothing (idle)';
    case 'done':
      return `nothing (already ${decision.status})`;
  }
}
