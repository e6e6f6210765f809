import type { Engine, WorkflowView } from '../actors/index.js';
import { resumeHint } from './resumeHint.js';

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
 * one its failed parent no longer waits for) until each is at rest or asleep, announcing each: this
 * command is what drives them, so leaving earlier would stop a step half-way. A sleep is left to
 * whichever engine runs the child when it wakes, with a line saying when. Takes on those started meanwhile.
 */
export async function settleFamily(engine: Engine, family: FamilyWatch, print: (line: string) => void): Promise<void> {
  const seen = new Set<string>();
  for (;;) {
    const next = family.started().find((id) => !seen.has(id));
    if (next === undefined) return;
    seen.add(next);
    const view = await engine.get(next);
    if (view?.status !== 'running') continue;
    let rested = view;
    if (view.wakeAt === undefined) {
      print(`Waiting for child workflow ${next} (${view.definition}) to come to rest`);
      rested = await restOrSleep(engine, next);
    }
    if (rested.status === 'running' && rested.wakeAt !== undefined)
      print(
        `Child workflow ${next} (${rested.definition}) sleeps until ${rested.wakeAt}; it wakes in whichever engine runs it then (${resumeHint(next, rested.definition)})`,
      );
  }
}

/** The workflow once at rest (finished, or waiting for a person or a signal), or once it starts a sleep. */
function restOrSleep(engine: Engine, workflowId: string): Promise<WorkflowView> {
  return new Promise((resolve, reject) => {
    const asleep = engine.subscribe(workflowId).subscribe((event) => {
      if (event.kind !== 'transition' || event.event.type !== 'SleepStarted') return;
      asleep.unsubscribe();
      engine.get(workflowId).then((view) => (view === undefined ? reject(new Error(`${workflowId} vanished`)) : resolve(view)), reject);
    });
    engine.settled(workflowId).then((view) => {
      asleep.unsubscribe();
      resolve(view);
    }, reject);
  });
}
