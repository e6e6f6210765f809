import type { JsonValue, StepContext } from 'ecl-workflows';
import type { ResearchInput, Source } from './input.js';

/** What `gather` returns: the notes taken on each source. */
export type Notes = { source: string; notes: string }[];

/** An HTTP failure as a journaled call records it: a server error or a 429 is worth retrying (`ctx.run` does), anything else is not. */
function httpError(method: string, url: string, status: number): Error & { code: string; retryable: boolean } {
  return Object.assign(new Error(`${method} ${url} answered ${status}`), { code: `HTTP_${status}`, retryable: status >= 500 || status === 429 });
}

async function fetchSource(source: Source, signal: AbortSignal): Promise<string> {
  if (source.text !== undefined) return source.text;
  const response = await fetch(source.url as string, { signal });
  if (!response.ok) throw httpError('GET', source.url as string, response.status);
  return (await response.text()).slice(0, 20_000);
}

/**
 * For each source: fetch it, then have the model take notes on it — two journaled calls per
 * source. After a crash the step runs again from its start, but every fetch and every model call
 * whose outcome was recorded returns it at once: only the call that was interrupted is made again.
 */
export async function gather(ctx: StepContext<ResearchInput>): Promise<JsonValue> {
  const notes: Notes = [];
  for (const source of ctx.input.sources) {
    const text = await ctx.run(`fetch ${source.name}`, () => fetchSource(source, ctx.signal));
    const result = await ctx.complete({
      name: `notes ${source.name}`,
      system: 'Take short notes on the source below: only what helps answer the question, one point per line, no commentary.',
      messages: [{ role: 'user', content: `Question: ${ctx.input.question}\n\n## ${source.name}\n\n${text}` }],
      maxTokens: 1024,
    });
    notes.push({ source: source.name, notes: result.text });
  }
  return notes;
}

/** Answers from the notes (one journaled model call), then POSTs the answer to the webhook, if any — once, as a journaled call. */
export async function answer(ctx: StepContext<ResearchInput>): Promise<JsonValue> {
  const notes = (ctx.outputs.gather ?? []) as Notes;
  const result = await ctx.complete({
    name: 'answer',
    system: 'Answer the question from the notes only, in a short paragraph, naming the sources you rely on.',
    messages: [{ role: 'user', content: [`Question: ${ctx.input.question}`, ...notes.map((note) => `## ${note.source}\n${note.notes}`)].join('\n\n') }],
    maxTokens: 1024,
  });
  const webhook = ctx.input.webhook;
  if (webhook !== undefined) {
    await ctx.run('notify', async () => {
      // The idempotency key lets the receiver drop a repeat should the process die between its answer and the record.
      const response = await fetch(webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': ctx.idempotencyKey },
        body: JSON.stringify({ workflowId: ctx.workflowId, question: ctx.input.question, answer: result.text }),
        signal: ctx.signal,
      });
      if (!response.ok) throw httpError('POST', webhook, response.status);
      return { status: response.status };
    });
  }
  return result.text;
}
