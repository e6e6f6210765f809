import { defineWorkflow, type JsonValue, type StepContext, type StepLlmRequest } from 'ecl-workflows';
import { z } from 'zod';

/** One document to read. */
export const Document = z.object({ name: z.string().trim().min(1), text: z.string().min(1) }).strict();
export type Document = z.infer<typeof Document>;

/** `digest`'s input: the question and the documents (each read by its own child workflow). */
export const DigestInput = z
  .object({
    question: z.string().trim().min(1),
    documents: z.array(Document).min(1).max(50),
    /** Child workflows running at once (default 3). */
    concurrency: z.number().int().min(1).max(16).default(3),
  })
  .strict();
export type DigestInput = z.output<typeof DigestInput>;

/** What one document's child workflow returns. */
export type Reading = { document: string; summary: string; points: string };

/** The model call that summarizes a document. */
const summaryRequest = (document: Document): StepLlmRequest<string> => ({
  name: 'summary',
  system: 'Summarize the document in three sentences.',
  messages: [{ role: 'user', content: `## ${document.name}\n\n${document.text}` }],
  maxTokens: 512,
});

/** The model call that lists a summary's points for the question. */
const pointsRequest = (question: string, summary: string): StepLlmRequest<string> => ({
  name: 'points',
  system: 'List the points of the summary that help answer the question, one per line.',
  messages: [{ role: 'user', content: `Question: ${question}\n\n${summary}` }],
  maxTokens: 512,
});

/** The child: two steps of its own, each a journaled model call. */
export const readDocument = defineWorkflow({
  name: 'readDocument',
  version: 1,
  description: 'Summarize one document, then list its key points for the question',
  input: z.object({ question: z.string(), document: Document }).strict(),
  steps: [
    {
      kind: 'produce',
      name: 'summarize',
      run: async (ctx) => (await ctx.complete(summaryRequest(ctx.input.document))).text,
    },
    {
      kind: 'produce',
      name: 'points',
      run: async (ctx): Promise<JsonValue> => {
        const summary = typeof ctx.outputs.summarize === 'string' ? ctx.outputs.summarize : '';
        const result = await ctx.complete(pointsRequest(ctx.input.question, summary));
        const reading: Reading = { document: ctx.input.document.name, summary, points: result.text };
        return reading;
      },
    },
  ],
});

/**
 * Fan-out: one `readDocument` child per document, at most `concurrency` at once. Each item is a
 * journaled call (`read/<index>`) whose child id is derived from it, so after a crash the finished
 * items are replayed, the unfinished ones find their child again, and none is started twice.
 */
export async function readAll(ctx: StepContext<DigestInput>): Promise<JsonValue> {
  return ctx.map('read', ctx.input.documents, (document, _index, call) => call.child<Reading>(readDocument, { question: ctx.input.question, document }), {
    concurrency: ctx.input.concurrency,
  });
}

/** The join: one model call over every document's points. */
export async function answer(ctx: StepContext<DigestInput>): Promise<JsonValue> {
  const readings = (ctx.outputs.read ?? []) as Reading[];
  const result = await ctx.complete({
    name: 'answer',
    system: 'Answer the question from the points only, naming the documents you rely on.',
    messages: [{ role: 'user', content: [`Question: ${ctx.input.question}`, ...readings.map((r) => `## ${r.document}\n${r.points}`)].join('\n\n') }],
    maxTokens: 1024,
  });
  return result.text;
}

/** read (fan-out over the documents, a child workflow each) → answer. */
export const digest = defineWorkflow({
  name: 'digest',
  version: 1,
  description: 'Read every document in its own child workflow, in parallel, then answer the question from what they found',
  input: DigestInput,
  steps: [
    { kind: 'produce', name: 'read', run: readAll },
    { kind: 'produce', name: 'answer', run: answer },
  ],
});

/**
 * The same reading without child workflows: each item asks the model twice through its call
 * (`call.complete`), and each call is journaled in the item's own journal — after a crash a
 * document's summary already recorded is not asked again, only the call that was interrupted.
 * Lighter than a child per document (two events per call instead of a workflow), but an item has
 * no stream, status or audit of its own: pick a child when a document's work needs those.
 */
export async function readInline(ctx: StepContext<DigestInput>): Promise<JsonValue> {
  return ctx.map(
    'read',
    ctx.input.documents,
    async (document, _index, call) => {
      const summary = await call.complete(summaryRequest(document));
      const points = await call.complete(pointsRequest(ctx.input.question, summary.text));
      const reading: Reading = { document: document.name, summary: summary.text, points: points.text };
      return reading;
    },
    { concurrency: ctx.input.concurrency },
  );
}

/** read (fan-out over the documents, two journaled model calls each) → answer. */
export const digestInline = defineWorkflow({
  name: 'digestInline',
  version: 1,
  description: 'Read every document with two model calls of its own item, in parallel, then answer the question from what they found',
  input: DigestInput,
  steps: [
    { kind: 'produce', name: 'read', run: readInline },
    { kind: 'produce', name: 'answer', run: answer },
  ],
});
