import { describe, expect, expectTypeOf, it } from 'vitest';
import { type BranchOutcome, type CallScope, type ItemOutcome, type JsonValue, type StepContext, ChildFailedError, isChildFailed } from 'ecl-workflows';

/**
 * Pins the types of the fan-out and child-workflow members of `StepContext` (`npm test` runs
 * `tsc --noEmit -p .` over test/, so every `@ts-expect-error` below must still be an error).
 */
const compileOnly = (check: () => unknown): void => void check;
declare const ctx: StepContext<{ docs: string[] }>;

describe('ctx.map, ctx.parallel and ctx.child types', () => {
  it('map returns the item results in order, or outcomes with their index under collect', () => {
    compileOnly(async () => {
      expectTypeOf(await ctx.map('m', ctx.input.docs, (doc) => doc.length)).toEqualTypeOf<number[]>();
      expectTypeOf(await ctx.map('m', ctx.input.docs, async (doc, index, call) => (call.signal.aborted ? index : doc))).toEqualTypeOf<(string | number)[]>();
      expectTypeOf(await ctx.map('m', ctx.input.docs, (doc) => doc, { onItemError: 'collect' })).toEqualTypeOf<ItemOutcome<string>[]>();
      // @ts-expect-error an item's result is recorded, so it must be JSON
      await ctx.map('m', ctx.input.docs, () => new Date());
    });
    expect(true).toBe(true);
  });

  it('parallel returns results keyed by branch; under first, only some keys', () => {
    compileOnly(async () => {
      const branches = { a: () => 1, b: async () => 'two' };
      expectTypeOf(await ctx.parallel('p', branches)).toEqualTypeOf<{ a: number; b: string }>();
      expectTypeOf(await ctx.parallel('p', branches, { first: 1 })).toEqualTypeOf<Partial<{ a: number; b: string }>>();
      expectTypeOf(await ctx.parallel('p', branches, { onItemError: 'collect' })).toEqualTypeOf<{ a: BranchOutcome<number>; b: BranchOutcome<string> }>();
    });
    expect(true).toBe(true);
  });

  it('child returns the output, or the id without waiting; an item runs its child through its call', () => {
    compileOnly(async () => {
      expectTypeOf(await ctx.child('c', 'leaf', {})).toEqualTypeOf<JsonValue>();
      expectTypeOf(await ctx.child<{ summary: string }>('c', 'leaf', {})).toEqualTypeOf<{ summary: string }>();
      expectTypeOf(await ctx.child('c', 'leaf', {}, { wait: false })).toEqualTypeOf<{ workflowId: string }>();
      const call = {} as CallScope;
      expectTypeOf(await call.child('leaf', {})).toEqualTypeOf<JsonValue>();
      expectTypeOf(await call.child<{ summary: string }>('leaf', {})).toEqualTypeOf<{ summary: string }>();
    });
    const error: unknown = new ChildFailedError('c1', 'Child workflow c1 (leaf) failed: no');
    if (isChildFailed(error)) expectTypeOf(error.childWorkflowId).toEqualTypeOf<string>();
    expect(isChildFailed(error)).toBe(true);
  });
});
