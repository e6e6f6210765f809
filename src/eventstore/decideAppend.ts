import { EventStoreError, WrongExpectedRevisionError } from './errors.js';
import type { PreparedEvent } from './prepareAppend.js';
import type { AppendResult, ExpectedRevision } from './types.js';

/** Where an already stored event sits, as far as idempotency needs to know. */
export interface StoredEventLocation {
  stream: string;
  revision: number;
  position: bigint;
}

export interface AppendDecisionInput {
  stream: string;
  events: readonly PreparedEvent[];
  expected: ExpectedRevision;
  /** Revision of the stream's last event, or -1 when the stream does not exist. */
  head: number;
  /** Finds a stored event by id (ids are unique across the whole store). */
  locate: (id: string) => StoredEventLocation | undefined;
}

export type AppendDecision = { kind: 'write'; firstRevision: number } | { kind: 'idempotent'; result: AppendResult };

/**
 * The adapter-neutral part of an append: KurrentDB-style idempotency first, then the
 * optimistic-concurrency check. Throws the port's errors; never writes anything itself.
 *
 * Idempotency: if the first event's id is already stored in this stream, and the whole batch
 * sits there contiguously in the same order, the append already happened. It is then a success
 * returning the original result when the expectation would have admitted it: an exact revision
 * R needs the batch at R+1, `no_stream` needs it at 0, `any` and `stream_exists` accept it
 * wherever it is (KurrentDB's idempotency cache behaves the same for those two).
 */
export function decideAppend(input: AppendDecisionInput): AppendDecision {
  if (input.events.length === 0) throw new EventStoreError('INVALID_EVENT_DATA', 'An append needs at least one event');
  assertDistinctIds(input.events);
  const { expected, head } = input;

  const replay = findReplay(input);
  if (replay !== undefined) return { kind: 'idempotent', result: replay };
  if (!admits(expected, head)) throw conflictOf(input);
  return { kind: 'write', firstRevision: head + 1 };
}

/** The original result when this exact batch is already stored where `expected` would have put it. */
export function findReplay(input: Omit<AppendDecisionInput, 'head'>): AppendResult | undefined {
  const first = input.events[0];
  const original = first === undefined ? undefined : input.locate(first.id);
  if (original === undefined || original.stream !== input.stream || !admitsReplay(input.expected, original.revision)) return undefined;
  return matchStoredBatch(input, original);
}

export const conflictOf = ({ stream, expected, head }: Pick<AppendDecisionInput, 'stream' | 'expected' | 'head'>): WrongExpectedRevisionError =>
  new WrongExpectedRevisionError(stream, expected, head < 0 ? 'no_stream' : head);

function matchStoredBatch(input: Omit<AppendDecisionInput, 'head'>, original: StoredEventLocation): AppendResult | undefined {
  let last = original;
  for (let index = 1; index < input.events.length; index++) {
    const found = input.locate(input.events[index]!.id);
    if (found === undefined || found.stream !== original.stream || found.revision !== original.revision + index) return undefined;
    last = found;
  }
  return { nextExpectedRevision: last.revision, position: last.position };
}

function admitsReplay(expected: ExpectedRevision, firstRevision: number): boolean {
  if (expected === 'any' || expected === 'stream_exists') return true;
  if (expected === 'no_stream') return firstRevision === 0;
  return firstRevision === expected + 1;
}

/** True when a stream whose last revision is `head` (-1: no stream) satisfies `expected`. */
export function admits(expected: ExpectedRevision, head: number): boolean {
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

export function assertDistinctIds(events: readonly PreparedEvent[]): void {
  if (events.length < 2) return;
  const ids = new Set(events.map((event) => event.id));
  if (ids.size !== events.length) throw new EventStoreError('INVALID_EVENT_DATA', 'An append carries the same event id twice');
}

export const duplicateIdError = (id: string, where: StoredEventLocation): EventStoreError =>
  new EventStoreError('INVALID_EVENT_DATA', `Event id ${id} is already stored as revision ${where.revision} of "${where.stream}"`);
