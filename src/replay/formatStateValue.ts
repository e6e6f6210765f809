import type { JsonValue } from '../eventstore/index.js';

/** `{ review: 'running' }` → `review.running`; parallel regions are joined with `, `. */
export function formatStateValue(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '∅';
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value);
  return Object.entries(value)
    .map(([key, child]) => (child === null || (typeof child === 'object' && !Array.isArray(child) && Object.keys(child).length === 0) ? key : `${key}.${formatStateValue(child)}`))
    .join(', ');
}
