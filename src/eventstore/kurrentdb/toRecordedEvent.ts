import type { ResolvedEvent } from '@kurrent/kurrentdb-client';
import { EventStoreError } from '../errors.js';
import { isLeaseStream } from './leaseStream.js';
import type { EventMetadata, JsonValue, RecordedEvent } from '../types.js';

/** KurrentDB's own streams (`$epoch-information`, `$$metadata`, `$>` links…) and the lease table's never reach ECL as events. */
export const isHiddenStream = (stream: string): boolean => stream.startsWith('$') || isLeaseStream(stream);

const SECOND = 1000;

function jsonOf(value: unknown): JsonValue {
  if (!(value instanceof Uint8Array)) return value as JsonValue;
  const text = Buffer.from(value).toString('utf8');
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function metadataOf(value: unknown): EventMetadata {
  const parsed = value === undefined ? {} : jsonOf(value);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as EventMetadata) : {};
}

/**
 * Maps a client event to the port's. Revisions and positions arrive as bigints: revisions become
 * numbers (0-based, as the port), the position is the commit position (equal to the prepare
 * position for every ordinary append). `created` is cut to whole seconds: the client's read path
 * (its Rust bridge) only carries seconds while subscriptions carry milliseconds, and one event
 * must look the same whichever way it arrives.
 */
export function toRecordedEvent(resolved: ResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (event === undefined || isHiddenStream(event.streamId)) return undefined;
  const position = event.position?.commit ?? resolved.commitPosition;
  if (position === undefined) {
    throw new EventStoreError('STORE_UNAVAILABLE', `KurrentDB returned event ${event.id} of "${event.streamId}" without a position`);
  }
  return {
    id: event.id,
    stream: event.streamId,
    type: event.type,
    revision: Number(event.revision),
    position,
    data: jsonOf(event.data),
    metadata: metadataOf(event.metadata),
    created: new Date(Math.floor(event.created.getTime() / SECOND) * SECOND),
  };
}
