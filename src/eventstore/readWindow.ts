import type { ReadAllOptions, ReadStreamOptions } from './types.js';

const limitOf = (limit: number | undefined): number => (limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(limit)));

function walk<T>(items: readonly T[], start: number, backwards: boolean, limit: number, keep?: (item: T) => boolean): T[] {
  const out: T[] = [];
  const step = backwards ? -1 : 1;
  for (let index = start; index >= 0 && index < items.length && out.length < limit; index += step) {
    const item = items[index]!;
    if (keep === undefined || keep(item)) out.push(item);
  }
  return out;
}

/** Applies `readStream`'s window to a stream held as an array indexed by revision. */
export function selectStream<T>(events: readonly T[], options: ReadStreamOptions): T[] {
  const backwards = options.direction === 'backwards';
  const from = options.from ?? (backwards ? 'end' : 'start');
  const start = from === 'start' ? 0 : from === 'end' ? (backwards ? events.length - 1 : events.length) : Math.min(from, backwards ? events.length - 1 : from);
  return walk(events, start, backwards, limitOf(options.limit));
}

/** Applies `readAll`'s window to a log held as an array where position = index + 1. */
export function selectAll<T extends { stream: string }>(log: readonly T[], options: ReadAllOptions): T[] {
  const backwards = options.direction === 'backwards';
  const from = options.fromPosition ?? (backwards ? 'end' : 'start');
  // Positions start at 1, so backwards from 'start' (position 0) reads nothing, as in SQLite.
  const fromIndex = from === 'start' ? (backwards ? -1 : 0) : from === 'end' ? (backwards ? log.length - 1 : log.length) : Number(from) - 1;
  const start = backwards ? Math.min(fromIndex, log.length - 1) : Math.max(fromIndex, 0);
  return walk(log, start, backwards, limitOf(options.limit), streamFilter(options.filter?.streamPrefixes));
}

/** A predicate for the `streamPrefixes` filter; undefined when nothing is filtered (no list, or an empty one). */
export function streamFilter(prefixes: readonly string[] | undefined): ((item: { stream: string }) => boolean) | undefined {
  if (prefixes === undefined || prefixes.length === 0) return undefined;
  return (item) => prefixes.some((prefix) => item.stream.startsWith(prefix));
}
