/**
 * The gRPC test server's in-memory transaction log. It follows KurrentDB's rules as read in the
 * server source (IndexWriter.CheckCommit, StorageWriterService, AllReader):
 * - event numbers are 0-based per stream; `$all` positions are byte offsets of log records, so
 *   they increase strictly but are not contiguous, and for ordinary appends commit == prepare;
 * - an append reports the position of its last event and that event's number;
 * - idempotency: with an exact expected revision (or no_stream) older than the stream's head, the
 *   same ids already sitting right after it make the append a success with the original result;
 *   with any / stream_exists, the ids found in the stream in order make it a success too;
 * - the append size check is KurrentDB's `Event.SizeOnDisk` (data + metadata + 2 * type length);
 * - a stream's `$maxCount` (the last `$metadata` event of its `$$<stream>` metastream) hides its
 *   older events from reads at once, before any scavenge; revisions keep counting.
 */

export type Expected = { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: bigint };

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
}

export interface StoredEvent extends ProposedEvent {
  stream: string;
  revision: bigint;
  /** Log position; commit and prepare positions are both this value. */
  position: bigint;
  /** .NET ticks (100 ns) since the Unix epoch, as KurrentDB's `created` metadata. */
  createdTicks: bigint;
}

export type AppendOutcome =
  | { kind: 'success'; revision: bigint; position: bigint }
  | { kind: 'wrong_expected_version'; current: bigint | undefined; expected: Expected }
  | { kind: 'too_large'; maxAppendSize: number };

export const MAX_APPEND_SIZE = 1024 * 1024;
// A prepare record's fixed part on disk (headers, ids, flags, timestamps): only used so that
// positions advance the way byte offsets do, not contiguously.
const RECORD_OVERHEAD = 100n;

export class FakeLog {
  readonly events: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  private readonly positions = new Set<bigint>();
  private nextPosition = 0n;

  constructor(private readonly clock: () => Date = () => new Date()) {
    // A fresh KurrentDB log already holds system events, so `$all` is never empty.
    this.write('$epoch-information', [
      {
        id: '00000000-0000-4000-8000-000000000001',
        type: '$epoch-information',
        contentType: 'application/json',
        data: Buffer.from('{"epochNumber":0}'),
        metadata: new Uint8Array(),
      },
    ]);
  }

  /** Events of one stream in revision order; undefined when the stream does not exist. */
  stream(name: string): readonly StoredEvent[] | undefined {
    return this.streams.get(name);
  }

  /**
   * Whether `$all` can be read from this position: KurrentDB reads records at byte offsets, so
   * only a record's own position (or the end of the log) is valid; anything in between makes the
   * server fail the read with "invalid position".
   */
  isReadablePosition(position: bigint): boolean {
    return position >= this.nextPosition || this.positions.has(position);
  }

  /** The first revision reads return: everything before it is beyond the stream's `$maxCount`. */
  firstReadableRevision(stream: string): number {
    const length = this.streams.get(stream)?.length ?? 0;
    const metadata = this.streams.get(`$$${stream}`)?.at(-1);
    if (metadata === undefined) return 0;
    const maxCount = (JSON.parse(Buffer.from(metadata.data).toString('utf8')) as { $maxCount?: unknown }).$maxCount;
    return typeof maxCount === 'number' && maxCount >= 0 ? Math.max(0, length - maxCount) : 0;
  }

  head(stream: string): bigint {
    return BigInt((this.streams.get(stream)?.length ?? 0) - 1);
  }

  /** Calls `listener` for every event committed from now on, in log order. */
  onCommitted(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes events to a system stream (`$…`), as the server itself does (epochs, scavenges, projections). */
  writeSystemEvent(stream: string, type: string, data: object): void {
    this.write(stream, [
      { id: crypto.randomUUID(), type, contentType: 'application/json', data: Buffer.from(JSON.stringify(data)), metadata: new Uint8Array() },
    ]);
  }

  append(stream: string, expected: Expected, proposed: readonly ProposedEvent[]): AppendOutcome {
    const size = proposed.reduce((sum, e) => sum + e.data.length + e.metadata.length + e.type.length * 2, 0);
    if (size > MAX_APPEND_SIZE) return { kind: 'too_large', maxAppendSize: MAX_APPEND_SIZE };

    const existing = this.streams.get(stream) ?? [];
    const head = BigInt(existing.length - 1);
    const current = head < 0n ? undefined : head;
    const conflict: AppendOutcome = { kind: 'wrong_expected_version', current, expected };

    if (expected.kind === 'stream_exists' && head < 0n) return conflict;
    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      const replay = this.weakIdempotency(existing, proposed);
      if (replay === 'corrupted') return conflict;
      if (replay !== undefined) return replay;
      return this.commit(stream, proposed);
    }

    const expectedHead = expected.kind === 'no_stream' ? -1n : expected.revision;
    if (expectedHead < head) return this.strongIdempotency(existing, expectedHead, proposed) ?? conflict;
    if (expectedHead > head) return conflict;
    return this.commit(stream, proposed);
  }

  private weakIdempotency(existing: readonly StoredEvent[], proposed: readonly ProposedEvent[]): AppendOutcome | 'corrupted' | undefined {
    // As KurrentDB's recent-events check: every id must already be in this stream, wherever it sits.
    const byId = new Map(existing.map((e) => [e.id, e]));
    if (!byId.has(proposed[0]?.id ?? '')) return undefined;
    let last: StoredEvent | undefined;
    for (const event of proposed) {
      last = byId.get(event.id);
      if (last === undefined) return 'corrupted';
    }
    return last === undefined ? undefined : { kind: 'success', revision: last.revision, position: last.position };
  }

  private strongIdempotency(existing: readonly StoredEvent[], expectedHead: bigint, proposed: readonly ProposedEvent[]): AppendOutcome | undefined {
    let last: StoredEvent | undefined;
    for (const [index, event] of proposed.entries()) {
      const found = existing[Number(expectedHead) + 1 + index];
      if (found?.id !== event.id) return undefined;
      last = found;
    }
    return last === undefined ? undefined : { kind: 'success', revision: last.revision, position: last.position };
  }

  private commit(stream: string, proposed: readonly ProposedEvent[]): AppendOutcome {
    const written = this.write(stream, proposed);
    const last = written[written.length - 1]!;
    return { kind: 'success', revision: last.revision, position: last.position };
  }

  private write(stream: string, proposed: readonly ProposedEvent[]): StoredEvent[] {
    const events = this.streams.get(stream) ?? [];
    this.streams.set(stream, events);
    const createdTicks = BigInt(this.clock().getTime()) * 10_000n;
    const written = proposed.map((event): StoredEvent => {
      const stored: StoredEvent = { ...event, stream, revision: BigInt(events.length), position: this.nextPosition, createdTicks };
      this.nextPosition += RECORD_OVERHEAD + BigInt(Buffer.byteLength(stream) + Buffer.byteLength(event.type) + event.data.length + event.metadata.length);
      events.push(stored);
      this.events.push(stored);
      this.positions.add(stored.position);
      return stored;
    });
    for (const event of written) for (const listener of this.listeners) listener(event);
    return written;
  }
}
