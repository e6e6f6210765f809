/** Partitions a store is split into when it records none yet; every node then reads the recorded number. */
export const DEFAULT_PARTITIONS = 64;

/**
 * The partition a workflow belongs to: FNV-1a (32 bits) of its id's UTF-16 code units, modulo the
 * partition count. Stable across processes, versions and platforms, since every node must agree.
 */
export function partitionOf(workflowId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < workflowId.length; index++) {
    hash ^= workflowId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
