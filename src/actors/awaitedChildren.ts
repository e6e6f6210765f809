/**
 * Which child workflows each parent's step in flight waits for now (`ctx.child`, `call.child`), so
 * `Engine.settled` can tell a parent whose family is at rest — every awaited child waiting for a
 * person or a signal — from one that is still working.
 */
export interface AwaitedChildren {
  add(parentId: string, childId: string): void;
  remove(parentId: string, childId: string): void;
  of(parentId: string): string[];
  /** Resolves at the next add or remove for `parentId`; `cancel` forgets the wait. */
  nextChange(parentId: string): { changed: Promise<void>; cancel(): void };
}

export function createAwaitedChildren(): AwaitedChildren {
  const byParent = new Map<string, Map<string, number>>();
  const watchers = new Map<string, Set<() => void>>();
  const notify = (parentId: string): void => {
    const waiting = watchers.get(parentId);
    watchers.delete(parentId);
    for (const wake of waiting ?? []) wake();
  };
  return {
    add(parentId, childId) {
      const children = byParent.get(parentId) ?? new Map<string, number>();
      byParent.set(parentId, children);
      // Counted: a fan-out's items may wait for the same child under one call.
      children.set(childId, (children.get(childId) ?? 0) + 1);
      notify(parentId);
    },
    remove(parentId, childId) {
      const children = byParent.get(parentId);
      const count = children?.get(childId);
      if (children === undefined || count === undefined) return;
      if (count > 1) children.set(childId, count - 1);
      else children.delete(childId);
      if (children.size === 0) byParent.delete(parentId);
      notify(parentId);
    },
    of: (parentId) => [...(byParent.get(parentId)?.keys() ?? [])],
    nextChange(parentId) {
      let wake: () => void = () => {};
      const changed = new Promise<void>((resolve) => (wake = resolve));
      const set = watchers.get(parentId) ?? new Set<() => void>();
      watchers.set(parentId, set);
      set.add(wake);
      return {
        changed,
        cancel() {
          set.delete(wake);
          if (set.size === 0 && watchers.get(parentId) === set) watchers.delete(parentId);
        },
      };
    },
  };
}
