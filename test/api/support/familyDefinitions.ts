import { z } from 'zod';
import { defineWorkflow } from '../../../src/machines/index.js';

/** A child that calls the model once. */
export const summary = defineWorkflow({
  name: 'summary',
  version: 1,
  input: z.object({ text: z.string() }),
  steps: [{ kind: 'produce', name: 'summarize', run: async (ctx) => (await ctx.complete({ messages: [{ role: 'user', content: ctx.input.text }] })).text }],
});

/** A parent that starts two summaries, then makes one model call of its own. */
export const digest = defineWorkflow({
  name: 'digest',
  version: 1,
  input: z.object({}),
  steps: [
    {
      kind: 'produce',
      name: 'read',
      run: async (ctx) => [await ctx.child('first', summary, { text: 'one' }), await ctx.child('second', summary, { text: 'two' })],
    },
    { kind: 'produce', name: 'combine', run: async (ctx) => (await ctx.complete({ messages: [{ role: 'user', content: 'combine' }] })).text },
  ],
});
