import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExpectedRevision } from '../../../src/eventstore/index.js';
import { events, type ContractContext } from './context.js';

type Form = 'any' | 'no_stream' | 'stream_exists' | 'exact' | 'stale';
interface Step {
  stream: number;
  form: Form;
  count: number;
  /** Re-send the previous batch to the same stream instead of a new one. */
  retry: boolean;
}

const step = fc.record({
  stream: fc.integer({ min: 0, max: 2 }),
  form: fc.constantFrom<Form>('any', 'no_stream', 'stream_exists', 'exact', 'stale'),
  count: fc.integer({ min: 1, max: 3 }),
  retry: fc.boolean(),
});

export function propertyContract(ctx: ContractContext): void {
  describe('against a model', () => {
    it('behaves like a list of lists for any sequence of appends', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps: Step[]) => {
          const names = [ctx.stream('p0'), ctx.stream('p1'), ctx.stream('p2')];
          const model: string[][] = [[], [], []];
          const globalOrder: string[] = [];
          let previous: { stream: number; batch: ReturnType<typeof events>; expected: ExpectedRevision; result: unknown } | undefined;

          for (const { stream, form, count, retry } of steps) {
            if (retry && previous?.stream === stream && previous.result !== undefined) {
              // The same ids at the same expectation: the original result, nothing written.
              await expect(ctx.store.append(names[stream]!, previous.batch, { expectedRevision: previous.expected })).resolves.toEqual(previous.result);
              continue;
            }
            const head = model[stream]!.length - 1;
            const expected: ExpectedRevision = form === 'exact' ? Math.max(head, 0) : form === 'stale' ? head + 1 : form;
            const admitted = expected === 'any' || (expected === 'no_stream' ? head < 0 : expected === 'stream_exists' ? head >= 0 : expected === head);
            const batch = events(count);
            const outcome = ctx.store.append(names[stream]!, batch, { expectedRevision: expected });
            if (admitted) {
              const result = await outcome;
              expect(result.nextExpectedRevision).toBe(head + count);
              model[stream]!.push(...batch.map((e) => e.id));
              globalOrder.push(...batch.map((e) => e.id));
              previous = { stream, batch, expected, result };
            } else {
              await expect(outcome).rejects.toMatchObject({ code: 'WRONG_EXPECTED_REVISION', expected, actual: head < 0 ? 'no_stream' : head });
              previous = undefined;
            }
          }
          for (const [index, name] of names.entries()) {
            expect((await ctx.store.readStream(name)).map((e) => e.id)).toEqual(model[index]);
          }
          const all = await ctx.store.readAll({ filter: { streamPrefixes: names } });
          expect(all.map((e) => e.id)).toEqual(globalOrder);
        }),
        { numRuns: 25 },
      );
    });
  });
}
