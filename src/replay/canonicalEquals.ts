/**
 * JSON equality that ignores key order and `undefined` members (as JSON does), for plain JSON
 * values: compares structurally, without building either text (`--verify` compares every decision).
 */
export function canonicalEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // JSON writes an undefined element as null.
    for (let index = 0; index < a.length; index += 1) if (!canonicalEquals(a[index] ?? null, b[index] ?? null)) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let members = 0;
  for (const key in left) {
    const value = left[key];
    if (value === undefined) continue;
    if (!canonicalEquals(value, right[key])) return false;
    members += 1;
  }
  for (const key in right) if (right[key] !== undefined) members -= 1;
  return members === 0;
}

/** The JSON text with keys sorted: what a divergence message shows. */
export function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
      return sorted;
    }) ?? 'undefined'
  );
}
