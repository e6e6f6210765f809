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

/** A child that waits for a person's approval. */
export const gatekeeper = defineWorkflow({
  name: 'gatekeeper',
  version: 1,
  input: z.object({ topic: z.string() }),
  steps: [
    { kind: 'produce', name: 'draft', run: async (ctx) => `a request about ${ctx.input.topic}` },
    { kind: 'approval', name: 'gate' },
  ],
});

/** A parent whose step waits for a gatekeeper child, and starts a second one it does not wait for. */
export const petitioner = defineWorkflow({
  name: 'petitioner',
  version: 1,
  input: z.object({}),
  steps: [
    {
      kind: 'produce',
      name: 'ask',
      run: async (ctx) => {
        await ctx.child('notify', gatekeeper, { topic: 'fyi' }, { wait: false });
        return ctx.child('permit', gatekeeper, { topic: 'permit' });
      },
    },
  ],
});
