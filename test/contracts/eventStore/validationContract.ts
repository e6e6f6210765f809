import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_APPEND_BYTES, type EventToAppend, type JsonValue } from '../../../src/eventstore/index.js';
import { collect, event, events, rejection, type ContractContext } from './context.js';

/** One event whose type + data + metadata ("{}") weigh exactly `bytes` in UTF-8. */
function eventOfSize(bytes: number): EventToAppend {
  const type = 'Sized';
  const overhead = type.length + 2 /* quotes */ + 2; /* {} */
  return event(type, 'x'.repeat(bytes - overhead));
}

class Money {
  constructor(readonly cents: number) {}
}

export function validationContract(ctx: ContractContext): void {
  describe('validation', () => {
    it('rejects bad stream names', async () => {
      for (const name of ['', '$system', 'tab\there', 'new\nline', 'nul\u0000', 'bell\u0007', ' padded', 'x'.repeat(256)]) {
        await rejection(ctx.store.append(name, events(1)), 'INVALID_STREAM_NAME');
      }
    });

    it('rejects data and metadata that are not plain JSON, writing nothing of the batch', async () => {
      const cycle: Record<string, unknown> = { a: 1 };
      cycle.self = cycle;
      const bad: unknown[] = [
        () => 1,
        10n,
        cycle,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        new Date(0),
        new Map([[1, 2]]),
        new Set([1]),
        new Money(5),
        Symbol('s'),
        undefined,
        { nested: [1, () => 2] },
        [undefined],
      ];
      for (const data of bad) {
        const stream = ctx.stream('json');
        const batch = [event('Fine'), { ...event('Bad'), data: data as JsonValue }, event('AlsoFine')];
        await rejection(ctx.store.append(stream, batch), 'INVALID_EVENT_DATA');
        expect(await ctx.store.readStream(stream)).toEqual([]);
      }
      const stream = ctx.stream('meta');
      await rejection(ctx.store.append(stream, [{ ...event('Bad'), metadata: { when: new Date(0) } as never }]), 'INVALID_EVENT_DATA');
      await rejection(ctx.store.append(stream, [{ ...event('Bad'), metadata: { big: 1n } as never }]), 'INVALID_EVENT_DATA');
      expect(await ctx.store.readStream(stream)).toEqual([]);
    });

    it('rejects empty batches, empty types and ids that are not UUIDs', async () => {
      const stream = ctx.stream('shape');
      await rejection(ctx.store.append(stream, []), 'INVALID_EVENT_DATA');
      await rejection(ctx.store.append(stream, [{ type: '', data: {} }]), 'INVALID_EVENT_DATA');
      await rejection(ctx.store.append(stream, [event('Fine'), { id: 'not-a-uuid', type: 'X', data: {} }]), 'INVALID_EVENT_DATA');
      expect(await ctx.store.readStream(stream)).toEqual([]);
    });

    it('accepts an append just under the 1 MiB limit and rejects one just over, writing nothing', async () => {
      const stream = ctx.stream('size');
      await rejection(ctx.store.append(stream, [eventOfSize(DEFAULT_MAX_APPEND_BYTES + 1)]), 'PAYLOAD_TOO_LARGE');
      const third = Math.floor(DEFAULT_MAX_APPEND_BYTES / 3);
      await rejection(ctx.store.append(stream, [eventOfSize(third), eventOfSize(third), eventOfSize(third + 100)]), 'PAYLOAD_TOO_LARGE');
      expect(await ctx.store.readStream(stream)).toEqual([]);
      await expect(ctx.store.append(stream, [eventOfSize(DEFAULT_MAX_APPEND_BYTES - 1024)])).resolves.toMatchObject({ nextExpectedRevision: 0 });
      expect(await ctx.store.readStream(stream)).toHaveLength(1);
    });

    it('round-trips unicode exactly, in names, types, data and metadata', async () => {
      const stream = `${ctx.prefix}.unicode-日本語-עברית-${Math.random().toString(36).slice(2, 8)}`;
      const data = {
        emoji: '👩‍👩‍👧‍👦 🏳️‍🌈 🇯🇵 😀',
        cjk: '漢字かなカナ한국어',
        rtl: 'مرحبا بالعالم שלום',
        combining: 'e\u0301 a\u0308 Z\u0351\u0362',
        escapes: 'quote " backslash \\ slash / tab \t newline \n',
        '键 🔑': ['ünïcödé', { مفتاح: 'قيمة' }],
        astral: '\u{1F600}\u{10FFFF}',
      };
      const appended = event('Ünïcødé✓', data, { $correlationId: 'コリレーション', note: '🙂' });
      await ctx.store.append(stream, [appended]);
      const [read] = await ctx.store.readStream(stream);
      expect(read).toMatchObject({ id: appended.id, stream, type: appended.type, data, metadata: appended.metadata });
      const [live] = await collect(ctx.store.subscribeToStream(stream), 1);
      expect(live).toEqual(read);
    });

    it('round-trips a large (~900 KiB) payload exactly', async () => {
      const stream = ctx.stream('large');
      const rows = Array.from({ length: 8_000 }, (_, index) => ({ index, text: `row ${index} ✓ ${'y'.repeat(50)}`, value: index / 7 }));
      const appended = event('Large', { rows });
      expect(Buffer.byteLength(JSON.stringify(appended.data))).toBeGreaterThan(850 * 1024);
      await ctx.store.append(stream, [appended]);
      const [read] = await ctx.store.readStream(stream);
      expect(read!.data).toEqual({ rows });
      const [fromAll] = await ctx.store.readAll({ filter: { streamPrefixes: [ctx.prefix] } });
      expect(fromAll!.data).toEqual({ rows });
    });

    it('keeps $correlationId, $causationId and our own metadata keys', async () => {
      const stream = ctx.stream('meta');
      const metadata = {
        $correlationId: 'c0ffee',
        $causationId: 'cause-1',
        workflowId: 'wf-1',
        attempt: 2,
        tags: ['a', 'b'],
        nested: { ok: true, none: null },
      };
      await ctx.store.append(stream, [event('Tagged', { x: 1 }, metadata)]);
      expect((await ctx.store.readStream(stream))[0]!.metadata).toEqual(metadata);
    });
  });
}
