import { EventStoreError, WrongExpectedRevisionError } from './errors.js';
import type { PreparedEvent } from './prepareAppend.js';
import type { AppendResult, ExpectedRevision } from './types.js';

/** An event already in the stream, as far as idempotency needs to know. */
export interface StoredIdAt {
  id: string;
  position: bigint;
}

/** What an adapter tells `decideAppend` about the stream, as it is inside the write. */
export interface StreamView {
  /** Revision of the stream's last event, or -1 when the stream does not exist. */
  head: number;
  /** Revision of the latest event of this stream with this id. */
  revisionOf(id: string): number | undefined;
  /** The stream's events from `revision` on, at most `count` of them. */
  eventsFrom(revision: number, count: number): readonly StoredIdAt[];
}

export type AppendDecision = { kind: 'write'; firstRevision: number } | { kind: 'idempotent'; result: AppendResult };

/**
 * The adapter-neutral part of an append, as KurrentDB decides it: idempotency is checked within
 * the stream only (the same id in two streams is two events). Throws the port's conflict; never
 * writes anything itself.
 *
 * An exact revision R (or `no_stream`, R = -1) older than the head is a replay when the stream
 * holds exactly this batch's ids from R+1 on, and a conflict otherwise. With `any` or
 * `stream_exists`, a batch whose first id is in the stream is a replay when the whole batch
 * follows it in order, and a conflict when it does not (KurrentDB's "corrupted idempotency").
 * A replay succeeds with the original result.
 */
export function decideAppend(stream: string, events: readonly PreparedEvent[], expected: ExpectedRevision, view: StreamView): AppendDecision {
  const { head } = view;
  const start = replayStart(events[0]!.id, expected, view);
  if (start !== undefined) {
    const stored = view.eventsFrom(start, events.length);
    if (stored.length === events.length && stored.every((event, index) => event.id === events[index]!.id)) {
      return { kind: 'idempotent', result: { nextExpectedRevision: start + events.length - 1, position: stored[stored.length - 1]!.position } };
    }
    throw conflictOf(stream, expected, head);
  }
  if (!admits(expected, head)) throw conflictOf(stream, expected, head);
  return { kind: 'write', firstRevision: head + 1 };
}

/** Where this batch would already sit if it were a replay, or undefined when it cannot be one. */
function replayStart(firstId: string, expected: ExpectedRevision, view: StreamView): number | undefined {
  if (expected === 'any' || expected === 'stream_exists') return view.head < 0 ? undefined : view.revisionOf(firstId);
  const previous = expected === 'no_stream' ? -1 : expected;
  return previous < view.head ? previous + 1 : undefined;
}

const conflictOf = (stream: string, expected: ExpectedRevision, head: number): WrongExpectedRevisionError =>
  new WrongExpectedRevisionError(stream, expected, head < 0 ? 'no_stream' : head);

/** True when a stream whose last revision is `head` (-1: no stream) satisfies `expected`. */
function admits(expected: ExpectedRevision, head: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return head < 0;
    case 'stream_exists':
      return head >= 0;
    default:
      return head === expected;
  }
}

/** Checks the expected-revision option itself; a caller mistake, so it fails before anything else. */
export function assertExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new EventStoreError('INVALID_EVENT_DATA', `Expected revision ${String(expected)} is not 'any', 'no_stream', 'stream_exists' or a revision >= 0`);
}
