import type { RecordedEvent } from '../eventstore/index.js';
import type { UpcasterRegistry } from '../machines/index.js';
import type { SkipCount } from './checkpointStore.js';
import { decodeEvent, type DecodedEvent } from './decodeEvent.js';

export interface DecodedBatch {
  /** The events after the checkpoint that decoded, in log order: what the read models apply. */
  decoded: DecodedEvent[];
  /** Events after the checkpoint that could not be read, counted by (reason, detail). */
  skips: SkipCount[];
  skipped: number;
  /** At or before the checkpoint: already applied, so left alone. */
  ignored: number;
  /** The checkpoint once the batch is applied. */
  position: bigint | null;
}

/**
 * Sorts a batch against the checkpoint read in the batch's transaction: every runner, on every
 * database, applies exactly the events after it, and skips and counts the same ones.
 */
export function decodeBatch(events: readonly RecordedEvent[], checkpoint: bigint | null, upcasters: UpcasterRegistry): DecodedBatch {
  let position = checkpoint;
  let ignored = 0;
  let skipped = 0;
  const decoded: DecodedEvent[] = [];
  const skips = new Map<string, SkipCount>();
  for (const recorded of events) {
    if (position !== null && recorded.position <= position) {
      ignored += 1;
      continue;
    }
    position = recorded.position;
    const result = decodeEvent(recorded, upcasters);
    if (result.ok) {
      decoded.push(result.decoded);
      continue;
    }
    skipped += 1;
    const key = `${result.reason}\u0000${result.detail}`;
    const skip = skips.get(key);
    if (skip === undefined) skips.set(key, { reason: result.reason, detail: result.detail, count: 1, lastPosition: recorded.position });
    else {
      skip.count += 1;
      skip.lastPosition = recorded.position;
    }
  }
  return { decoded, skips: [...skips.values()], skipped, ignored, position };
}
