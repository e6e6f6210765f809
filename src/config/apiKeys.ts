import { createHash } from 'node:crypto';

/** A stable, non-secret id for a key given without one: recorded as the event sender. */
export const deriveKeyId = (secret: string): string => `key-${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;

export class ApiKeysSyntaxError extends Error {
  readonly code = 'API_KEYS_SYNTAX' as const;
  constructor(
    message: string,
    readonly entry: number,
  ) {
    super(message);
    this.name = 'ApiKeysSyntaxError';
  }
}

/**
 * Parses the env form `secret=tenant,secret2=tenant2`; an entry may name its id as
 * `id:secret=tenant`. Entries are returned raw (validated by the schema afterwards).
 */
export function parseApiKeys(text: string): Array<{ id: string; key: string; tenant: string }> {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry, index) => {
      const eq = entry.lastIndexOf('=');
      if (eq <= 0 || eq === entry.length - 1) {
        throw new ApiKeysSyntaxError(`entry ${index + 1} is not of the form secret=tenant or id:secret=tenant`, index);
      }
      const left = entry.slice(0, eq);
      const tenant = entry.slice(eq + 1);
      const colon = left.indexOf(':');
      if (colon > 0) return { id: left.slice(0, colon), key: left.slice(colon + 1), tenant };
      return { id: deriveKeyId(left), key: left, tenant };
    });
}

/** Accepts the string form or an array of `{ id?, key, tenant }`, filling in missing ids. */
export function normalizeApiKeys(value: unknown): unknown {
  if (typeof value === 'string') return parseApiKeys(value);
  if (!Array.isArray(value)) return value;
  return value.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return entry;
    const { id, key } = entry as { id?: unknown; key?: unknown };
    return id === undefined && typeof key === 'string' ? { ...entry, id: deriveKeyId(key) } : entry;
  });
}
