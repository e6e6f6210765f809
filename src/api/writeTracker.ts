/** Where a write landed in the global log; resolved lazily, since finding it costs a store read. */
export type WritePosition = bigint | (() => Promise<bigint>);

/**
 * Unresolved writes kept per key. The projections apply the log in order, so waiting for the
 * newest of the last 1,024 acknowledged writes also covers every older one: an older write could
 * only land later in the log if over a thousand of the same key's commands were in flight at
 * once. Dropping the oldest therefore costs nothing, where resolving them would cost a read each.
 */
const KEEP = 1024;

/**
 * Read-your-writes per API key: remembers where each key's acknowledged writes landed, so its
 * next read waits for the projections to include them. Positions of commands are looked up only
 * when that key reads again, which keeps the command path free of an extra store read.
 */
export function createWriteTracker() {
  const byKey = new Map<string, { max: bigint | undefined; pending: Array<() => Promise<bigint>> }>();
  const resolveAll = async (keyId: string): Promise<bigint | undefined> => {
    const entry = byKey.get(keyId);
    if (entry === undefined) return undefined;
    const pending = entry.pending.splice(0);
    for (const position of await Promise.all(pending.map((resolve) => resolve().catch(() => undefined)))) {
      if (position !== undefined && (entry.max === undefined || position > entry.max)) entry.max = position;
    }
    return entry.max;
  };
  return {
    note(keyId: string, position: WritePosition): void {
      let entry = byKey.get(keyId);
      if (entry === undefined) byKey.set(keyId, (entry = { max: undefined, pending: [] }));
      if (typeof position === 'bigint') {
        if (entry.max === undefined || position > entry.max) entry.max = position;
        return;
      }
      entry.pending.push(position);
      if (entry.pending.length > KEEP) entry.pending.shift();
    },
    /** The newest position this key wrote, or undefined when it wrote nothing yet. */
    latest: resolveAll,
    /** Forgets positions the projections have already passed. */
    settled(keyId: string, position: bigint): void {
      const entry = byKey.get(keyId);
      if (entry !== undefined && entry.pending.length === 0 && entry.max !== undefined && entry.max <= position) byKey.delete(keyId);
    },
  };
}

export type WriteTracker = ReturnType<typeof createWriteTracker>;
