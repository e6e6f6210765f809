import { acceptedCommands, iterationOf, viewOf } from '../machines/index.js';
import type { WorkflowView } from './types.js';
import type { WorkflowActor } from './workflowActor.js';

/** The caller's view of an actor's current fold. */
export function viewOfActor(actor: WorkflowActor): WorkflowView {
  const snapshot = actor.snapshot;
  const view = viewOf(snapshot);
  const context = snapshot.context;
  const result: WorkflowView = {
    workflowId: actor.workflowId,
    definition: actor.definition.name,
    version: actor.definition.version,
    status: view.status,
    state: view.step === undefined ? view.status : `${view.step}.${view.phase}`,
    value: snapshot.value,
    revision: actor.revision,
    accepts: acceptedCommands(snapshot),
    output: context.output,
    reason: context.reason,
    usage: context.usage,
    context,
  };
  if (actor.tenant !== undefined) result.tenant = actor.tenant;
  if (view.step !== undefined) {
    result.step = view.step;
    result.iteration = view.iteration ?? iterationOf(snapshot, view.step);
  }
  const waiting = context.waiting;
  if (waiting !== null && view.status === 'waiting') {
    result.waitingFor = { step: waiting.step, kind: waiting.kind };
    if (waiting.signal !== undefined) result.waitingFor.signal = waiting.signal;
    if (waiting.timeoutAt !== undefined) result.waitingFor.timeoutAt = waiting.timeoutAt;
  }
  const wakeAt = view.phase === 'sleeping' ? context.sleeping?.until : view.phase === 'running' ? context.current?.retryAt : undefined;
  if (wakeAt !== undefined) result.wakeAt = wakeAt;
  return result;
}
