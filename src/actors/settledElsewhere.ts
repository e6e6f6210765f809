import { filter, type Observable, type Subscription } from 'rxjs';
import type { Clock } from './clock.js';
import { EngineError } from './errors.js';
import type { EngineEvent, WorkflowView } from './types.js';

/** How often `settled` looks again at a workflow another worker drives, besides each transition it sees. */
const RECHECK_MS = 1_000;

export interface ElsewhereDeps {
  feed: Observable<EngineEvent>;
  clock: Clock;
  /** The workflow's view as the store has it now (read fresh), or undefined when there is none. */
  view: (workflowId: string) => Promise<WorkflowView | undefined>;
  owns: (workflowId: string) => boolean;
  closed: () => boolean;
}

/**
 * `Engine.settled` for a workflow another worker drives: its view, once it waits or has finished,
 * followed through the transitions the log follower publishes on the feed. Resolves undefined when
 * this engine came to own the workflow meanwhile (then it is driven here).
 */
export function createSettledElsewhere(deps: ElsewhereDeps): (workflowId: string) => Promise<WorkflowView | undefined> {
  return async (workflowId) => {
    for (;;) {
      let subscription: Subscription | undefined;
      let timer: unknown;
      // Listening before reading: a transition landing between the two is not missed.
      const moved = new Promise<void>((resolve) => {
        subscription = deps.feed.pipe(filter((event) => event.kind === 'transition' && event.workflowId === workflowId)).subscribe({
          next: () => resolve(),
          complete: () => resolve(),
        });
        timer = deps.clock.setTimer(resolve, RECHECK_MS);
      });
      try {
        const view = await deps.view(workflowId);
        if (view === undefined) throw new EngineError('WORKFLOW_NOT_FOUND', `No workflow with id ${workflowId}`);
        if (deps.closed()) return view;
        if (deps.owns(workflowId)) return undefined;
        if (view.status !== 'running') return view;
        await moved;
      } finally {
        subscription?.unsubscribe();
        deps.clock.clearTimer(timer);
      }
    }
  };
}
