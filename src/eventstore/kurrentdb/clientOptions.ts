import { ANY, NO_STREAM, STREAM_EXISTS, streamNameFilter, type AppendStreamState, type Filter } from '@kurrent/kurrentdb-client';
import { EventStoreError } from '../errors.js';
import { NOT_SYSTEM_OR_LEASE_STREAM } from './leaseStream.js';
import type { ExpectedRevision, RecordedEvent, StreamFilter } from '../types.js';

/** The port's expected revision as the client's `streamState` (its old `expectedRevision` option is silently ignored). */
export function streamStateOf(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

export function assertExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new EventStoreError('INVALID_EVENT_DATA', `Expected revision ${String(expected)} is not 'any', 'no_stream', 'stream_exists' or a revision >= 0`);
}

// Excludes KurrentDB's system streams ($epoch-information, $$metadata, projections' $-streams)
// and the lease table's stream (kurrentDbLeaseTable.ts), which changes with every heartbeat.
const USER_STREAMS = streamNameFilter({ regex: NOT_SYSTEM_OR_LEASE_STREAM });

/** The server-side filter: the given stream prefixes, or else every non-system stream. */
export const clientFilter = (filter: StreamFilter | undefined): Filter =>
  filter?.streamPrefixes === undefined ? USER_STREAMS : streamNameFilter({ prefixes: filter.streamPrefixes });

/** The same filter checked again on arrival, so a server that ignored it cannot leak events through. */
export const keepFor = (filter: StreamFilter | undefined): ((event: RecordedEvent) => boolean) | undefined => {
  const prefixes = filter?.streamPrefixes;
  return prefixes === undefined ? undefined : (event) => prefixes.some((prefix) => event.stream.startsWith(prefix));
};
