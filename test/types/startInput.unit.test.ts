import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type Engine, type JsonValue, type StartInput, type StepContext, defineWorkflow } from 'ecl-workflows';
import { createTestEngine } from 'ecl-workflows/testing';

/**
 * Pins what starting a workflow takes (`npm test` runs `tsc --noEmit -p .` over test/, so every
 * `@ts-expect-error` below must still be an error): given the definition itself, the input has its
 * schema's input type; given a name, any input compiles and is checked when the workflow starts.
 */
const leaf = defineWorkflow({
  name: 'leaf',
  version: 1,
  input: z.object({ text: z.string(), times: z.number().int().default(1) }),
  steps: [{ kind: 'produce', name: 'repeat', run: async (ctx) => ctx.input.text.repeat(ctx.input.times) }],
});

/** Type checks only: the function is never called. */
const compileOnly = (check: () => unknown): void => void check;
declare const engine: Engine;
declare const ctx: StepContext<{ text: string }>;

describe('start inputs are typed by the definition', () => {
  it("StartInput is the schema's input type (defaults optional), unknown for a name", () => {
    expectTypeOf<StartInput<typeof leaf>>().toEqualTypeOf<{ text: string; times?: number | undefined }>();
    expectTypeOf<StartInput<'leaf'>>().toEqualTypeOf<unknown>();
    expect(leaf.name).toBe('leaf');
  });

  it('engine.start and the test engine check the input against the definition', () => {
    compileOnly(async () => {
      await engine.start(leaf, { text: 'a' });
      await engine.start(leaf, { text: 'a', times: 2 }, { id: 'x' });
      // @ts-expect-error text must be a string
      await engine.start(leaf, { text: 1 });
      // @ts-expect-error text is required
      await engine.start(leaf, { times: 2 });
      // By name: checked at run time only.
      await engine.start('leaf', { anything: true });
      const t = createTestEngine({ definitions: [leaf] });
      await t.run(leaf, { text: 'a' });
      // @ts-expect-error the test engine checks it too
      await t.run(leaf, { text: 'a', times: 'two' });
    });
    expect(true).toBe(true);
  });

  it('ctx.child checks the child input; an item of a fan-out does too', () => {
    compileOnly(async () => {
      expectTypeOf(await ctx.child('c', leaf, { text: ctx.input.text })).toEqualTypeOf<JsonValue>();
      await ctx.child('c', leaf, { text: 'a' }, { wait: false });
      // @ts-expect-error the child's input is checked
      await ctx.child('c', leaf, { text: 2 });
      // @ts-expect-error also without waiting
      await ctx.child('c', leaf, {}, { wait: false });
      await ctx.map('m', ['a', 'b'], (text, _index, call) => call.child(leaf, { text }));
      // @ts-expect-error and in a fan-out's item
      await ctx.map('m', ['a', 'b'], (text, _index, call) => call.child(leaf, { words: text }));
      // An output type from the annotation keeps the input checked.
      const output: string = await ctx.child('c', leaf, { text: 'a' });
      expectTypeOf(output).toEqualTypeOf<string>();
    });
    expect(true).toBe(true);
  });

  it('the test engine runs a typed start', async () => {
    const t = createTestEngine({ definitions: [leaf] });
    const view = await t.run(leaf, { text: 'ab', times: 2 });
    expect(view.output).toBe('abab');
    await t.close();
  });
});
