import type { StoredIdAt, StreamView } from '../decideAppend.js';

/** A stream as one group commit sees it: its head, and the events that may matter to idempotency. */
export interface GroupStream {
  streamId: string | undefined;
  head: number;
  /** Stored rows fetched for the idempotency check, and rows this group wrote, by revision. */
  known: Map<number, StoredIdAt>;
}

/**
 * A synchronous `StreamView` for `decideAppend` over what the group fetched up front. The fetch
 * brings every stored event of the stream whose id is in the batch, so `revisionOf` is exact;
 * `eventsFrom` stops at the first revision it does not hold, which can only be an event whose id
 * is not in the batch, and a shorter answer is what makes `decideAppend` report a conflict.
 */
export function groupView(stream: GroupStream): StreamView {
  return {
    head: stream.head,
    revisionOf(id) {
      let latest: number | undefined;
      for (const [revision, event] of stream.known) if (event.id === id && (latest === undefined || revision > latest)) latest = revision;
      return latest;
    },
    eventsFrom(revision, count) {
      const out: StoredIdAt[] = [];
      for (let at = revision; out.length < count && at <= stream.head; at++) {
        const event = stream.known.get(at);
        if (event === undefined) break;
        out.push(event);
      }
      return out;
    },
  };
}

/**
 * Whether deciding this append may look at stored events (a replay check): `any` and
 * `stream_exists` on a stream that exists, or an exact revision (`no_stream` is -1) behind the head.
 * The engine's appends carry the exact head, so they need no lookup.
 */
export function needsLookup(expected: 'no_stream' | 'stream_exists' | 'any' | number, head: number): boolean {
  if (head < 0) return false;
  if (expected === 'any' || expected === 'stream_exists') return true;
  return (expected === 'no_stream' ? -1 : expected) < head;
}
