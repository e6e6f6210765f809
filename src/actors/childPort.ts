import { filter, type Observable } from 'rxjs';
import type { ArtifactStore } from '../artifacts/index.js';
import type { AwaitedChildren } from './awaitedChildren.js';
import { type JsonValue, type WorkflowEvent, isFinishedStatus } from '../machines/index.js';
import { EngineError } from './errors.js';
import { readRecordedOutput } from './spilledOutput.js';
import type { ChildOutcome, ChildWorkflowPort, Engine, EngineEvent, StartOptions, WorkflowOwnership } from './types.js';

/** A terminal event's outcome (the output as recorded, possibly spilled). */
function outcomeOf(event: WorkflowEvent): ChildOutcome | undefined {
  if (event.type === 'WorkflowCompleted') return { status: 'completed', output: event.data.output, reason: null };
  if (event.type === 'WorkflowFailed') return { status: 'failed', output: null, reason: event.data.reason };
  if (event.type === 'WorkflowCancelled') return { status: 'cancelled', output: null, reason: event.data.reason };
  return undefined;
}

/**
 * The engine as its step runner's children port. `wait` listens to the engine's feed for the child's
 * terminal event — subscribed before it reads the child's view, so a child that finishes in between
 * is not missed, and one that had already finished resolves at once. No polling. A child's output
 * too large for its event is read back from the artifact store, under the child's id.
 */
export function createChildPort(
  engine: () => Engine,
  feed: Observable<EngineEvent>,
  artifacts: ArtifactStore,
  ownership: WorkflowOwnership | undefined,
  awaited: AwaitedChildren,
): ChildWorkflowPort {
  return {
    async start(definition, input, options) {
      await ownership?.adoptChild?.(options.id, options.parent.workflowId);
      const startOptions: StartOptions & Pick<typeof options, 'parent'> = {
        id: options.id,
        parent: options.parent,
        ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
      };
      await engine().start(definition, input, startOptions);
    },

    wait(workflowId, signal, parentId) {
      return new Promise<ChildOutcome>((resolve, reject) => {
        awaited.add(parentId, workflowId);
        let settled = false;
        const finish = (outcome: { ok: ChildOutcome } | { error: unknown }): void => {
          if (settled) return;
          settled = true;
          awaited.remove(parentId, workflowId);
          subscription.unsubscribe();
          signal.removeEventListener('abort', onAbort);
          if ('ok' in outcome) {
            readRecordedOutput(artifacts, workflowId, outcome.ok.output).then(
              (output: JsonValue) => resolve({ ...outcome.ok, output }),
              (error: unknown) => reject(error as Error),
            );
          } else reject(outcome.error as Error);
        };
        const onAbort = (): void => finish({ error: signal.reason ?? new Error('aborted') });
        const subscription = feed.pipe(filter((event) => event.kind === 'transition' && event.workflowId === workflowId)).subscribe({
          next: (event) => {
            const outcome = event.kind === 'transition' ? outcomeOf(event.event) : undefined;
            if (outcome !== undefined) finish({ ok: outcome });
          },
          complete: () => finish({ error: new EngineError('ENGINE_CLOSED', `The engine closed while waiting for child workflow ${workflowId}`) }),
        });
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        // Already finished (e.g. while the parent was down)?
        engine()
          .get(workflowId)
          .then(
            (view) => {
              if (view === undefined) finish({ error: new EngineError('WORKFLOW_NOT_FOUND', `No child workflow with id ${workflowId}`) });
              else if (isFinishedStatus(view.status))
                finish({ ok: { status: view.status as ChildOutcome['status'], output: view.output, reason: view.reason } });
            },
            (error: unknown) => finish({ error }),
          );
      });
    },

    async cancel(workflowId, reason) {
      // Refused when the child already finished: nothing to cancel.
      await engine().send(workflowId, { type: 'CANCEL', reason });
    },
  };
}
