import type { AppendFence } from '../eventstore/index.js';
import type { Owned } from './actorEnv.js';
import type { WorkflowOwnership } from './types.js';

/** Without a cluster, an engine drives every workflow it touches. */
const OWNED: Owned = { owned: true };
const NOT_OWNED: Owned = { owned: false };

export interface OwnershipLookup {
  /** Whether this engine drives the workflow now, with the fence its appends carry. */
  ownership(workflowId: string): Owned;
  owns(workflowId: string): boolean;
}

/** The engine's view of a cluster node's `WorkflowOwnership` (or of none: it owns everything). */
export function createOwnershipLookup(port: WorkflowOwnership | undefined): OwnershipLookup {
  if (port === undefined) return { ownership: () => OWNED, owns: () => true };
  /** One `Owned` per fence object (a node hands out the same one per lease grant): no allocation per append. */
  const ownedBy = new WeakMap<AppendFence, Owned>();
  return {
    ownership(workflowId) {
      const fence = port.fenceFor(workflowId);
      if (fence === undefined) return NOT_OWNED;
      let owned = ownedBy.get(fence);
      if (owned === undefined) ownedBy.set(fence, (owned = { owned: true, fence }));
      return owned;
    },
    owns: (workflowId) => port.fenceFor(workflowId) !== undefined,
  };
}
