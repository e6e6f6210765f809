// The crash campaign's workflow, a user module as `ecl` loads it (plain JavaScript: no tsx to load,
// so a restart costs less). Every step calls the model; each prompt carries a marker naming the
// workflow, step, iteration and the call's place in the step, never the attempt (a re-run must make
// the same calls), so the fake Messages API can count the calls made for each recorded one.
import { defineWorkflow } from 'ecl-workflows';
import { z } from 'zod';

const marker = (ctx, call) => `[chaos wf=${ctx.workflowId} step=${ctx.step} iter=${ctx.iteration} call=${call}]`;

const ask = async (ctx, call, text) => (await ctx.complete({ messages: [{ role: 'user', content: `${marker(ctx, call)} ${text}` }], maxTokens: 64 })).text;

/** draft (two model calls) → review (revise once, then approve; at most 2 rounds) → signoff (a person, when `gate`) → publish. */
export const chaos = defineWorkflow({
  name: 'chaos',
  version: 1,
  description: 'The crash campaign: a model call in every step, a bounded review loop and an approval gate',
  input: z.object({ tag: z.string().max(64), gate: z.boolean().default(true) }),
  steps: [
    { kind: 'produce', name: 'draft', run: async (ctx) => `${await ask(ctx, 1, 'outline')} | ${await ask(ctx, 2, `write ${ctx.feedback ?? ''}`)}` },
    {
      kind: 'validate',
      name: 'review',
      maxIterations: 2,
      onCap: 'accept',
      run: async (ctx) => {
        const text = await ask(ctx, 1, 'review');
        return { verdict: text.startsWith('APPROVE') ? 'approve' : 'revise', feedback: text };
      },
    },
    { kind: 'approval', name: 'signoff', when: (input) => input.gate },
    { kind: 'produce', name: 'publish', run: async (ctx) => ask(ctx, 1, 'publish') },
  ],
});
