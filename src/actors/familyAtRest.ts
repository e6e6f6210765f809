import type { AwaitedChildren } from './awaitedChildren.js';
import type { WorkflowView } from './types.js';
import type { WorkflowActor } from './workflowActor.js';

/** A child that cannot move on without someone outside: it waits for a person or a signal, or for children of its own that do. */
const atRest = (view: WorkflowView): boolean => view.status === 'waiting' || (view.waitingOnChildren?.length ?? 0) > 0;

/**
 * Resolves when `actor` has settled (to `undefined`), or — while its step in flight waits for
 * child workflows — once every awaited child is at rest (see `atRest`): then the family cannot move
 * without someone outside, and the awaited children's ids are what the parent waits on.
 * `settled` is `Engine.settled`, so a child's timers are waited for (and a simulated clock jumps).
 */
export async function settledOrFamilyAtRest(
  actor: WorkflowActor,
  workflowId: string,
  awaited: AwaitedChildren,
  settled: (workflowId: string) => Promise<WorkflowView>,
): Promise<string[] | undefined> {
  const itself: Promise<undefined> = actor.whenSettled().then(() => undefined);
  for (;;) {
    const change = awaited.nextChange(workflowId);
    const changed = change.changed.then(() => 'changed' as const);
    const outcome = await Promise.race([itself, changed, restOf(awaited.of(workflowId), settled, changed)]);
    change.cancel();
    if (outcome !== 'changed') return outcome;
  }
}

/**
 * The children `workflowId`'s step waits for when every one is at rest now (see `atRest`: waiting
 * for someone, or for children of its own that are); undefined when it waits for none, or one
 * still works. Looks, never waits: `view` reads a workflow as it is.
 */
export async function familyAtRestNow(
  workflowId: string,
  awaited: AwaitedChildren,
  view: (workflowId: string) => Promise<WorkflowView | undefined>,
): Promise<string[] | undefined> {
  const children = awaited.of(workflowId);
  if (children.length === 0) return undefined;
  for (const child of children) {
    const found = await view(child);
    if (found === undefined) return undefined;
    if (found.status !== 'waiting' && (found.status !== 'running' || (await familyAtRestNow(child, awaited, view)) === undefined)) return undefined;
  }
  return children;
}

/** The children, once every one is at rest; else, when the awaited set next changes, `'changed'`. */
async function restOf(children: string[], settled: (workflowId: string) => Promise<WorkflowView>, changed: Promise<'changed'>): Promise<string[] | 'changed'> {
  if (children.length === 0) return changed;
  try {
    if ((await Promise.all(children.map(settled))).every(atRest)) return children;
  } catch {
    // A child not readable here (another node's, say): look again when the set changes.
  }
  // One finished (the set changes as its parent takes the outcome) or works on.
  return changed;
}
