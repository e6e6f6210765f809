import type { JsonValue } from '../eventstore/index.js';

/** `{ review: 'running' }` → `review.running`; parallel regions are joined with `, `. */
export function formatStateValue(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '∅';
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value);
  // A loop rather than entries/map/join: replay formats one value per transition.
  let text = '';
  for (const key in value) {
    const child = value[key];
    const leaf = child === null || (typeof child === 'object' && !Array.isArray(child) && isEmpty(child));
    text += `${text === '' ? '' : ', '}${leaf ? key : `${key}.${formatStateValue(child)}`}`;
  }
  return text;
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}
