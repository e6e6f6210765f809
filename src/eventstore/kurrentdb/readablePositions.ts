import type { RecordedEvent, StreamFilter } from '../types.js';

/** One read of `$all` straight through to KurrentDB; `from` must be a position the server can read from. */
export type RawAllRead = (
  direction: 'forwards' | 'backwards',
  from: bigint | 'start' | 'end',
  limit: number,
  filter: StreamFilter | undefined,
) => Promise<RecordedEvent[]>;

/** KurrentDB's answer to a read from inside a record: "Trying to read from an invalid position." */
export const isInvalidPosition = (error: unknown): boolean =>
  error instanceof Error && (/invalid position/i.test(error.message) || (error.cause instanceof Error && /invalid position/i.test(error.cause.message)));

const WALK_PAGE = 500;
const DEFAULT_CAPACITY = 100_000;

export interface ReadablePositions {
  /** Notes a position the server returned for an event: it can be read from. */
  remember(position: bigint): void;
  /**
   * A start KurrentDB accepts, at or before `position`, with no event matching `filter` strictly
   * between the two; `'start'` when no matching event lies before `position`.
   */
  startAtOrBefore(position: bigint, filter: StreamFilter | undefined): Promise<bigint | 'start'>;
}

/**
 * The port lets a reader start at any bigint (`last.position + 1n` is the natural way to page),
 * but KurrentDB positions are byte offsets of log records and the server refuses to read from
 * inside a record. This finds a readable start for any position: one it has seen on an event,
 * else the position itself or the one before it (the `+ 1n` case) if the server accepts them,
 * else the newest matching event before it, walking back from the end of the log.
 */
export function createReadablePositions(readRaw: RawAllRead, capacity = DEFAULT_CAPACITY): ReadablePositions {
  const known = new Set<bigint>();

  const remember = (position: bigint) => {
    if (known.has(position)) return;
    known.add(position);
    if (known.size > capacity) known.delete(known.values().next().value!);
  };

  const accepts = async (position: bigint, filter: StreamFilter | undefined): Promise<boolean> => {
    try {
      await readRaw('forwards', position, 1, filter);
      return true;
    } catch (error) {
      if (isInvalidPosition(error)) return false;
      throw error;
    }
  };

  async function newestBefore(position: bigint, filter: StreamFilter | undefined): Promise<bigint | 'start'> {
    let from: bigint | 'end' = 'end';
    for (;;) {
      const page = await readRaw('backwards', from, WALK_PAGE, filter);
      const before = page.find((event) => event.position < position);
      if (before !== undefined) return before.position;
      const oldest = page[page.length - 1];
      if (oldest === undefined || page.length < WALK_PAGE) return 'start';
      from = oldest.position;
    }
  }

  return {
    remember,
    async startAtOrBefore(position, filter) {
      if (position <= 0n) return 'start';
      if (known.has(position)) return position;
      if (known.has(position - 1n)) return position - 1n;
      if (await accepts(position, filter)) return position;
      if (await accepts(position - 1n, filter)) return position - 1n;
      return newestBefore(position, filter);
    },
  };
}
