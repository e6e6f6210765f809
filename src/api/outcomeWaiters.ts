import type { Subscription } from 'rxjs';
import type { Engine, EngineEvent } from '../actors/index.js';
import { TERMINAL_EVENT_TYPES } from '../machines/index.js';

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_EVENT_TYPES);
/** An event that leaves the workflow waiting for someone outside it. */
const WAITS: ReadonlySet<string> = new Set(['HumanInputRequested', 'SignalAwaited']);

export type Settled = 'finished' | 'waiting';

/**
 * Waits for workflows of the in-process engine to finish or to wait for a person or a signal,
 * from the engine's feed: one subscription while anyone waits, routed by workflow id.
 */
export function createOutcomeWaiters(engine: Engine) {
  const waiting = new Map<string, Set<(settled: Settled | undefined) => void>>();
  let feed: Subscription | undefined;
  const route = (event: EngineEvent) => {
    if (event.kind !== 'transition') return;
    const kind = TERMINAL.has(event.event.type) ? 'finished' : WAITS.has(event.event.type) ? 'waiting' : undefined;
    if (kind !== undefined) for (const listener of waiting.get(event.workflowId) ?? []) listener(kind);
  };

  return {
    /** How it settled, or undefined when `waitMs` passed first (or the engine closed). */
    wait(workflowId: string, waitMs: number): Promise<Settled | undefined> {
      return new Promise((resolve) => {
        let listeners = waiting.get(workflowId);
        if (listeners === undefined) waiting.set(workflowId, (listeners = new Set()));
        const done = (settled: Settled | undefined) => {
          clearTimeout(timer);
          listeners.delete(done);
          if (listeners.size === 0) waiting.delete(workflowId);
          if (waiting.size === 0) {
            feed?.unsubscribe();
            feed = undefined;
          }
          resolve(settled);
        };
        const timer = setTimeout(() => done(undefined), waitMs);
        listeners.add(done);
        // A closing engine settles nothing more: every wait ends.
        const endAll = () => [...waiting.values()].forEach((set) => [...set].forEach((listener) => listener(undefined)));
        feed ??= engine.feed.subscribe({ next: route, complete: endAll });
        // Listening first, then looking: it may have settled before the wait began.
        engine.get(workflowId).then(
          (view) => {
            if (view === undefined || !listeners.has(done)) return;
            if (view.status === 'waiting') done('waiting');
            else if (view.status !== 'running') done('finished');
          },
          () => undefined,
        );
      });
    },
  };
}
