import { randomUUID } from 'node:crypto';
import { EventStoreError, PayloadTooLargeError } from './errors.js';
import type { EventToAppend, JsonValue } from './types.js';

/** KurrentDB's default maximum append size; every adapter enforces the same bound. */
export const DEFAULT_MAX_APPEND_BYTES = 1024 * 1024;
const MAX_STREAM_NAME_LENGTH = 255;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** An event checked and serialized once, ready for any adapter to write. */
export interface PreparedEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

export function assertValidStreamName(stream: unknown): asserts stream is string {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new EventStoreError('INVALID_STREAM_NAME', 'Stream name must be a non-empty string');
  }
  if (stream.length > MAX_STREAM_NAME_LENGTH) {
    throw new EventStoreError('INVALID_STREAM_NAME', `Stream name is longer than ${MAX_STREAM_NAME_LENGTH} characters`);
  }
  if (stream.startsWith('$')) {
    throw new EventStoreError('INVALID_STREAM_NAME', `Stream name "${stream}" starts with "$", which is reserved for system streams`);
  }
  if (CONTROL_CHARACTERS.test(stream) || stream.trim() !== stream) {
    throw new EventStoreError('INVALID_STREAM_NAME', `Stream name ${JSON.stringify(stream)} contains control characters or surrounding white space`);
  }
}

/** True when the value survives a JSON round trip unchanged; the fast check, building no error paths. */
function isJson(value: unknown, seen: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) {
        for (const item of value) if (item === undefined || !isJson(item, seen)) return false;
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) return false;
        for (const key in value) {
          const item = (value as Record<string, unknown>)[key];
          if (item !== undefined && !isJson(item, seen)) return false;
        }
      }
      seen.delete(value);
      return true;
    }
    default:
      return false;
  }
}

/**
 * Rejects anything that would not survive a JSON round trip unchanged: functions, symbols,
 * BigInt, non-finite numbers, cycles and non-plain objects (Date, Map, class instances).
 * Object properties whose value is `undefined` are dropped, as JSON does. Only a value that
 * failed the fast check is walked again to name where it fails.
 */
function assertJson(value: unknown, path: string): asserts value is JsonValue {
  if (isJson(value, new Set())) return;
  explainNotJson(value, path, new Set());
  throw invalid(path, 'is not plain JSON');
}

function explainNotJson(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, `is ${value}, which JSON cannot represent`);
      return;
    case 'object': {
      if (value === null) return;
      if (seen.has(value)) throw invalid(path, 'is a circular reference');
      seen.add(value);
      if (Array.isArray(value)) {
        value.forEach((item, index) => {
          if (item === undefined) throw invalid(`${path}[${index}]`, 'is undefined');
          explainNotJson(item, `${path}[${index}]`, seen);
        });
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          throw invalid(path, `is a ${proto?.constructor?.name ?? 'non-plain'} object, not plain JSON`);
        }
        for (const [key, item] of Object.entries(value)) {
          if (item !== undefined) explainNotJson(item, `${path}.${key}`, seen);
        }
      }
      seen.delete(value);
      return;
    }
    default:
      throw invalid(path, `is a ${typeof value}, which is not JSON`);
  }
}

const invalid = (path: string, reason: string) => new EventStoreError('INVALID_EVENT_DATA', `Event ${path} ${reason}`);

/** Validates a whole append up front so that a rejected append writes nothing. */
export function prepareAppend(stream: string, events: readonly EventToAppend[], maxAppendBytes = DEFAULT_MAX_APPEND_BYTES): PreparedEvent[] {
  assertValidStreamName(stream);
  if (!Array.isArray(events) || events.length === 0) {
    throw new EventStoreError('INVALID_EVENT_DATA', 'An append needs at least one event');
  }
  let chars = 0;
  const prepared = events.map((event, index): PreparedEvent => {
    if (typeof event?.type !== 'string' || event.type.length === 0) {
      throw new EventStoreError('INVALID_EVENT_DATA', `Event [${index}] needs a non-empty string type`);
    }
    if (event.id !== undefined && (typeof event.id !== 'string' || !UUID.test(event.id))) {
      throw new EventStoreError('INVALID_EVENT_DATA', `Event [${index}] id ${JSON.stringify(event.id)} is not a UUID`);
    }
    if (event.data === undefined) throw invalid(`[${index}].data`, 'is undefined');
    assertJson(event.data, `[${index}].data`);
    const data = JSON.stringify(event.data);
    let metadata = '{}';
    if (event.metadata !== undefined && event.metadata !== null) {
      assertJson(event.metadata, `[${index}].metadata`);
      metadata = JSON.stringify(event.metadata);
    }
    chars += data.length + metadata.length + event.type.length;
    return { id: (event.id ?? randomUUID()).toLowerCase(), type: event.type, data, metadata };
  });
  // A UTF-16 code unit is at most 3 UTF-8 bytes: count bytes only when the bound may be reached.
  if (chars * 3 > maxAppendBytes) {
    const bytes = prepared.reduce((sum, event) => sum + Buffer.byteLength(event.data) + Buffer.byteLength(event.metadata) + Buffer.byteLength(event.type), 0);
    if (bytes > maxAppendBytes) {
      throw new PayloadTooLargeError(stream, bytes, maxAppendBytes);
    }
  }
  if (prepared.length > 1 && new Set(prepared.map((event) => event.id)).size !== prepared.length) {
    throw new EventStoreError('INVALID_EVENT_DATA', 'An append carries the same event id twice');
  }
  return prepared;
}
