import type { ReadAllOptions, RecordedEvent } from '../types.js';
import type { RawAllRead, ReadablePositions } from './readablePositions.js';

/**
 * `readAll` with the port's window on top of KurrentDB's: the port starts forwards and backwards
 * *at* a position, inclusive, and accepts any bigint; KurrentDB reads forwards from a readable
 * position inclusive and backwards strictly before it.
 */
export async function readAllWindow(raw: RawAllRead, positions: ReadablePositions, options: ReadAllOptions): Promise<RecordedEvent[]> {
  const backwards = options.direction === 'backwards';
  const from = options.fromPosition ?? (backwards ? 'end' : 'start');
  const limit = Math.min(Math.floor(options.limit ?? Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER - 1);
  const filter = options.filter;
  if (limit <= 0 || filter?.streamPrefixes?.length === 0) return [];
  if (from === 'start' || from === 'end') {
    if ((backwards && from === 'start') || (!backwards && from === 'end')) return [];
    return raw(backwards ? 'backwards' : 'forwards', from, limit, filter);
  }

  const start = await positions.startAtOrBefore(from, filter);
  if (!backwards) {
    // From an earlier start, at most one matching event precedes `from`: read one more, drop it.
    const events = await raw('forwards', start, start === from ? limit : limit + 1, filter);
    return events.filter((event) => event.position >= from).slice(0, limit);
  }
  if (start === 'start') return [];
  const [first] = await raw('forwards', start, 1, filter);
  // Nothing matches at or after `start`: every matching event lies before it.
  if (first === undefined) return raw('backwards', 'end', limit, filter);
  const included = first.position === start ? [first] : [];
  if (included.length === limit) return included;
  return [...included, ...(await raw('backwards', start, limit - included.length, filter))];
}
