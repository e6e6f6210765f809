import type { Engine } from '../actors/index.js';

export interface FamilyWatch {
  /** Ids of the workflows started below the root while watching (children, theirs, …), in start order. */
  started(): string[];
  unsubscribe(): void;
}

/** Watches the engine's feed for the child workflows `rootId`'s steps start, and theirs. */
export function watchFamily(engine: Engine, rootId: string): FamilyWatch {
  const members = new Set([rootId]);
  const started: string[] = [];
  const subscription = engine.feed.subscribe((event) => {
    if (event.kind !== 'transition' || event.event.type !== 'WorkflowStarted') return;
    const parent = event.event.data.parent?.workflowId;
    if (parent === undefined || !members.has(parent) || members.has(event.workflowId)) return;
    members.add(event.workflowId);
    started.push(event.workflowId);
  });
  return { started: () => [...started], unsubscribe: () => subscription.unsubscribe() };
}

/**
 * Drives the family's workflows that are still running (a child started with `{ wait: false }`, or
 * one its failed parent no longer waits for) until each is at rest, announcing each: this command
 * is what drives them, so leaving earlier would stop them half-way. Takes on those started meanwhile.
 */
export async function settleFamily(engine: Engine, family: FamilyWatch, print: (line: string) => void): Promise<void> {
  const seen = new Set<string>();
  for (;;) {
    const next = family.started().find((id) => !seen.has(id));
    if (next === undefined) return;
    seen.add(next);
    const view = await engine.get(next);
    if (view?.status !== 'running') continue;
    print(`Waiting for child workflow ${next} (${view.definition}), still running`);
    await engine.settled(next);
  }
}
