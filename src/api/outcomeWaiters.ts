import type { Subscription } from 'rxjs';
import type { Engine, EngineEvent } from '../actors/index.js';
import { isTerminalEventType } from '../machines/index.js';

/** An event that leaves the workflow waiting for someone outside it. */
const WAITS: ReadonlySet<string> = new Set(['HumanInputRequested', 'SignalAwaited']);

export type Settled = 'finished' | 'waiting';
/** How often a wait looks whether the workflow's family came to rest (`Engine.waitingOn`). */
const FAMILY_LOOK_MS = 200;
type Transition = Extract<EngineEvent, { kind: 'transition' }>;

const settledBy = (transition: Transition): Settled | undefined =>
  isTerminalEventType(transition.event.type) ? 'finished' : WAITS.has(transition.event.type) ? 'waiting' : undefined;

/** One workflow watched on the engine's feed, from before it is started. */
export interface OutcomeWatch {
  /** How it settled, or undefined when `waitMs` passed first (or the engine closed). Call once. */
  settled(waitMs: number): Promise<Settled | undefined>;
  /** Its transitions the feed published since the watch began, in order. */
  readonly seen: readonly Transition[];
  close(): void;
}

interface Watcher {
  seen: Transition[];
  settle?: (settled: Settled | undefined) => void;
}

/**
 * Watches workflows of the in-process engine until they finish or wait for a person or a signal
 * (themselves, or through the child workflows their step waits for), from the engine's feed: one
 * subscription while anyone watches, routed by workflow id. A watch begun before the start sees
 * every transition this process publishes for the workflow, so the answer to a wait can be folded
 * from them rather than read back from the store.
 */
export function createOutcomeWaiters(engine: Engine) {
  const watching = new Map<string, Set<Watcher>>();
  let feed: Subscription | undefined;
  const route = (event: EngineEvent) => {
    if (event.kind !== 'transition') return;
    const watchers = watching.get(event.workflowId);
    if (watchers === undefined) return;
    const kind = settledBy(event);
    for (const watcher of watchers) {
      watcher.seen.push(event);
      if (kind !== undefined) watcher.settle?.(kind);
    }
  };
  // A closing engine settles nothing more: every wait ends.
  const endAll = () => watching.forEach((watchers) => watchers.forEach((watcher) => watcher.settle?.(undefined)));

  return {
    watch(workflowId: string): OutcomeWatch {
      const watcher: Watcher = { seen: [] };
      let watchers = watching.get(workflowId);
      if (watchers === undefined) watching.set(workflowId, (watchers = new Set()));
      watchers.add(watcher);
      feed ??= engine.feed.subscribe({ next: route, complete: endAll });
      const close = () => {
        watcher.settle?.(undefined);
        watchers.delete(watcher);
        if (watchers.size === 0 && watching.get(workflowId) === watchers) watching.delete(workflowId);
        if (watching.size === 0) {
          feed?.unsubscribe();
          feed = undefined;
        }
      };
      return {
        seen: watcher.seen,
        close,
        settled: (waitMs) =>
          new Promise((resolve) => {
            const timer = setTimeout(() => watcher.settle?.(undefined), waitMs);
            // A parent whose step waits for children that all wait for someone publishes nothing: look.
            const family = setInterval(() => {
              engine.waitingOn(workflowId).then(
                (children) => children !== undefined && watcher.settle?.('waiting'),
                () => undefined,
              );
            }, FAMILY_LOOK_MS);
            watcher.settle = (settled) => {
              clearTimeout(timer);
              clearInterval(family);
              watcher.settle = undefined;
              resolve(settled);
            };
            const last = watcher.seen.at(-1);
            const already = last === undefined ? undefined : settledBy(last);
            if (already !== undefined) return watcher.settle(already);
            // Seen from its first event on, it cannot settle unseen; else (it existed before the
            // watch) it may have settled already: ask the engine.
            if (watcher.seen[0]?.revision === 0) return;
            engine.get(workflowId).then(
              (view) => {
                if (view === undefined) return;
                if (view.status === 'waiting') watcher.settle?.('waiting');
                else if (view.status !== 'running') watcher.settle?.('finished');
              },
              () => undefined,
            );
          }),
      };
    },
  };
}
