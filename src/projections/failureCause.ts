import type { WorkflowEvent } from '../machines/index.js';

/** A failed workflow's `error`: what ended it, with a code clients branch on. */
export interface FailureError {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * What an event that ends the workflow says about why, when the `WorkflowFailed` after it records
 * no error of its own (a person's REJECT, a validation loop's or a route's cap, a budget with the
 * `fail` policy). A step's failure, a deadline and a signal's timeout record their error on the
 * failure itself. The rule is the projection's, not the machine's: recording the code on
 * `WorkflowFailed` now would make every stored history with such a failure diverge on replay.
 */
export function failureCause(event: WorkflowEvent): FailureError | undefined {
  switch (event.type) {
    case 'HumanDecisionReceived': {
      if (event.data.decision !== 'reject') return undefined;
      const why = event.data.feedback === undefined || event.data.feedback === '' ? '' : `: ${event.data.feedback}`;
      return { code: 'REJECTED', message: `Rejected by a person at "${event.data.step}"${why}`, retryable: false };
    }
    case 'IterationCapReached':
      return event.data.policy === 'fail'
        ? { code: 'CAP_REACHED', message: `${event.data.step} reached its cap of ${event.data.maxIterations} iterations`, retryable: false }
        : undefined;
    case 'RouteChosen':
      // A route at its loop cap with `onCap: 'fail'` records itself as where it goes next.
      return event.data.capReached === true && event.data.to === event.data.step
        ? { code: 'CAP_REACHED', message: `${event.data.step} reached its cap of ${event.data.loops} loops`, retryable: false }
        : undefined;
    case 'BudgetExceeded':
      return event.data.policy === 'fail'
        ? {
            code: 'BUDGET_EXCEEDED',
            message: `${event.data.step} exceeded its ${event.data.limit} budget (${event.data.used} of ${event.data.max})`,
            retryable: false,
          }
        : undefined;
    default:
      return undefined;
  }
}

/** The error of a failure that recorded none and followed no cause above (a revision asked for past the cap at an escalation). */
export const failedWithout = (reason: string): FailureError => ({ code: 'WORKFLOW_FAILED', message: reason, retryable: false });
