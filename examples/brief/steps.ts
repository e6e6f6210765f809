import { Judgement, type StepContext } from 'ecl-workflows';
import { z } from 'zod';
import type { BriefInput } from './input.js';

/**
 * What the producing steps return, checked when each completes (a mismatch fails the step with
 * `INVALID_OUTPUT`) and typed in `ctx.outputs`: the steps below read `ctx.outputs.draft` as a string.
 */
export const BriefOutputs = {
  extract: z.string(),
  draft: z.string(),
  load: z.object({ path: z.string(), hash: z.string(), bytes: z.number().int() }),
};
type Ctx = StepContext<BriefInput, typeof BriefOutputs>;

/** Each step may run more than once: a crash during a model call runs the step again (that call as a new attempt). */
export async function extract(ctx: Ctx): Promise<string> {
  const result = await ctx.complete({
    system: 'Extract the key facts from the documents below as a bullet list: one fact per line, concrete, no commentary.',
    messages: [{ role: 'user', content: ctx.input.documents.map((document) => `## ${document.name}\n\n${document.text}`).join('\n\n') }],
    maxTokens: 1024,
  });
  return result.text;
}

export async function draft(ctx: Ctx): Promise<string> {
  const revision = ctx.feedback === undefined ? [] : [`Previous draft:\n${ctx.outputs.draft ?? ''}`, `Reviewer feedback to address:\n${ctx.feedback}`];
  const result = await ctx.complete({
    system: `Write a short, well-structured document in Markdown that follows these instructions: ${ctx.input.instructions}`,
    messages: [{ role: 'user', content: [`Instructions: ${ctx.input.instructions}`, `Facts:\n${ctx.outputs.extract ?? ''}`, ...revision].join('\n\n') }],
    maxTokens: 2048,
  });
  return result.text;
}

export async function review(ctx: Ctx): Promise<Judgement> {
  const result = await ctx.complete({
    system:
      'You review a draft against its instructions and the facts it must rest on. Approve it only if it follows the instructions and every claim is supported by a fact; otherwise ask for a revision with specific, actionable feedback.',
    messages: [
      {
        role: 'user',
        content: [`Instructions: ${ctx.input.instructions}`, `Facts:\n${ctx.outputs.extract ?? ''}`, `Draft:\n${ctx.outputs.draft ?? ''}`].join('\n\n'),
      },
    ],
    tool: { name: 'submit_verdict', description: 'Submit the review verdict: approve the draft, or revise it with feedback.', schema: Judgement },
    maxTokens: 1024,
  });
  if (result.output === undefined) throw new Error('The reviewer returned no verdict');
  return result.output;
}

export async function load(ctx: Ctx): Promise<z.input<typeof BriefOutputs.load>> {
  const stored = await ctx.putArtifact('brief.md', `${ctx.outputs.draft ?? ''}\n`);
  return { path: stored.location, hash: stored.hash, bytes: stored.bytes };
}
