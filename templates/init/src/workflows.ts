import { defineWorkflow, Judgement, type JsonValue, type StepContext } from 'ecl-workflows';
import { z } from 'zod';

/**
 * The input, validated (and defaulted) before it is recorded in the workflow's first event, so a
 * replay needs nothing but the event store. `ecl run explain` with no --input uses the defaults.
 */
export const ExplainInput = z.object({
  topic: z.string().trim().min(1).default('why a durable workflow records every step'),
  audience: z.string().trim().min(1).default('a developer new to the idea'),
});
export type ExplainInput = z.output<typeof ExplainInput>;

const textOf = (value: JsonValue | undefined): string => (typeof value === 'string' ? value : JSON.stringify(value ?? ''));

/**
 * A model step. Its output is recorded when it returns: after a crash, a finished step is never
 * run again, and a step that was cut off mid-call runs again from the start. On a revision,
 * `ctx.feedback` holds the reviewer's feedback and `ctx.outputs.draft` the previous draft.
 */
async function draft(ctx: StepContext<ExplainInput>): Promise<JsonValue> {
  const revision = ctx.feedback === undefined ? [] : [`Your previous draft:\n${textOf(ctx.outputs.draft)}`, `Reviewer feedback to address:\n${ctx.feedback}`];
  const result = await ctx.complete({
    system: `Explain the topic to ${ctx.input.audience} in three short paragraphs of Markdown.`,
    messages: [{ role: 'user', content: [`Topic: ${ctx.input.topic}`, ...revision].join('\n\n') }],
    maxTokens: 1024,
  });
  return result.text;
}

/** A validating step: it approves the draft, or sends it back to `draft` with feedback. */
async function review(ctx: StepContext<ExplainInput>): Promise<Judgement> {
  const result = await ctx.complete({
    system: 'You review an explanation for accuracy and clarity. Approve it, or ask for a revision with specific, actionable feedback.',
    messages: [{ role: 'user', content: `Topic: ${ctx.input.topic}\nAudience: ${ctx.input.audience}\n\nDraft:\n${textOf(ctx.outputs.draft)}` }],
    tool: { name: 'submit_verdict', description: 'Submit the verdict: approve the draft, or revise it with feedback.', schema: Judgement },
    maxTokens: 512,
  });
  if (result.output === undefined) throw new Error('The reviewer returned no verdict');
  return result.output;
}

/** The final step, a plain function: it writes the approved draft to the artifact store. */
async function publish(ctx: StepContext<ExplainInput>): Promise<JsonValue> {
  const stored = await ctx.putArtifact('explanation.md', `# ${ctx.input.topic}\n\n${textOf(ctx.outputs.draft)}\n`);
  return { path: stored.location, bytes: stored.bytes, hash: stored.hash };
}

/** draft → review (back to draft with feedback, at most 3 reviews; then accept the last draft) → publish. */
export const explain = defineWorkflow({
  name: 'explain',
  version: 1,
  description: 'Draft an explanation with a model, review it in a bounded loop, publish it as an artifact',
  input: ExplainInput,
  steps: [
    { kind: 'produce', name: 'draft', run: draft },
    { kind: 'validate', name: 'review', run: review, maxIterations: 3, onCap: 'accept' },
    { kind: 'produce', name: 'publish', run: publish },
  ],
});
