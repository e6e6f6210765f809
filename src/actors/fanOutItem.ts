import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The fan-out item whose function is running, if any: its journal (the step attempt's) and call
 * name. The step's own journaled calls (`ctx.run`, `ctx.complete`, `ctx.child`, a nested
 * `ctx.map`) refuse to run inside an item: they would take the step journal's next position
 * whenever the item reaches them, so a re-run, where items finish in another order, would pair one
 * item's call with another's recorded outcome. Work the item starts elsewhere (a child workflow's
 * steps, run by the same engine) inherits the context but has a journal of its own.
 */
const item = new AsyncLocalStorage<{ journal: object; call: string }>();

export const runAsItem = <T>(journal: object, call: string, fn: () => T): T => item.run({ journal, call }, fn);

/** The call name of the item of `journal` running in this async context, if any. */
export const itemInProgress = (journal: object): string | undefined => {
  const running = item.getStore();
  return running?.journal === journal ? running.call : undefined;
};
