/** Field names whose values are secrets, whatever their case: redacted in every log line. */
const SECRET_FIELDS =
  /^(authorization|api[-_]?keys?|x-api-key|password|passwd|secret|client[-_]?secret|token|access[-_]?token|refresh[-_]?token|cookie|set-cookie|anthropic[-_]?api[-_]?key)$/i;
/** Token-shaped strings that must never reach a log even inside a message (Anthropic keys, bearer tokens). */
const SECRET_PATTERNS = [/sk-ant-[A-Za-z0-9_-]{8,}/g, /\b(Bearer\s+)[^\s"',]+/gi];

export const REDACTED = '[redacted]';

export interface Redactor {
  (value: unknown): unknown;
  text(value: string): string;
}

/**
 * Redacts secret-named fields, token-shaped strings and every literal secret it is given
 * (configured API keys, `ANTHROPIC_API_KEY`). Returns a copy; never mutates the input.
 */
export function createRedactor(secrets: readonly string[] = []): Redactor {
  const literals = secrets.filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length);
  const text = (value: string): string => {
    let out = value;
    for (const literal of literals) out = out.split(literal).join(REDACTED);
    for (const pattern of SECRET_PATTERNS)
      out = out.replace(pattern, (_match, prefix?: string) => (typeof prefix === 'string' ? `${prefix}${REDACTED}` : REDACTED));
    return out;
  };
  const walk = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof value === 'string') return text(value);
    if (typeof value !== 'object' || value === null || depth > 8) return value;
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1, seen));
    if (value instanceof Error) return { name: value.name, message: text(value.message), ...(walk({ ...value }, depth + 1, seen) as object) };
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = SECRET_FIELDS.test(key) && item !== undefined ? REDACTED : walk(item, depth + 1, seen);
    return out;
  };
  const redact = ((value: unknown) => walk(value, 0, new WeakSet())) as Redactor;
  redact.text = text;
  return redact;
}
