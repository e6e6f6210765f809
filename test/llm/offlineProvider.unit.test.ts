import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createOfflineProvider, isLlmError, OFFLINE_MODEL, type LlmRequest } from '../../src/llm/index.js';

const context = (step: string, iteration = 1) => ({
  workflowId: 'wf-1',
  definition: 'brief',
  step,
  iteration,
  attempt: 1,
  idempotencyKey: `wf-1:${step}:${iteration}`,
});
const Verdict = z.object({ verdict: z.enum(['approve', 'revise']), feedback: z.string() });
const verdictTool = { name: 'submit_verdict', description: 'Judge the draft', schema: Verdict };

describe('offline provider', () => {
  const provider = createOfflineProvider({ now: () => 0 });

  it('is deterministic: the same request gives the same result', async () => {
    const request: LlmRequest = {
      context: context('draft'),
      system: 'Write a brief for the board.',
      messages: [{ role: 'user', content: 'Facts:\n- Revenue grew 12% in 2024.\n- Churn fell to 3 percent.' }],
    };
    const first = await provider.complete(request);
    const second = await provider.complete(request);
    expect(second).toEqual(first);
    expect(first.model).toBe(OFFLINE_MODEL);
    expect(first.costUsd).toBe(0);
    expect(first.text).toContain('Revenue grew 12% in 2024.');
    expect(first.text).toContain('offline');
    expect(first.usage.inputTokens).toBeGreaterThan(0);
    expect(first.usage.outputTokens).toBe(Math.ceil(first.text.length / 4));
    expect(first.promptHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('extracts bullet lines from the input for an extract step', async () => {
    const result = await provider.complete({
      context: context('extract'),
      messages: [{ role: 'user', content: 'The plant opened in 1998. It employs 420 people.\nIt exports to nine countries.' }],
    });
    expect(result.text.split('\n')).toEqual(['- The plant opened in 1998.', '- It employs 420 people.', '- It exports to nine countries.']);
  });

  it('asks for one revision, then approves', async () => {
    const messages = [{ role: 'user' as const, content: 'Review this draft.' }];
    const first = await provider.complete({ context: context('review', 1), messages, tool: verdictTool });
    const second = await provider.complete({ context: context('review', 2), messages, tool: verdictTool });
    expect(first.output?.verdict).toBe('revise');
    expect(first.output?.feedback.length).toBeGreaterThan(20);
    expect(second.output?.verdict).toBe('approve');
  });

  it('builds a schema-valid input for any other tool', async () => {
    const schema = z.object({
      title: z.string().min(30),
      count: z.number().int().min(3),
      tags: z.array(z.string()).min(2),
      kind: z.enum(['a', 'b']),
      nested: z.object({ ok: z.boolean(), when: z.iso.datetime() }),
      maybe: z.union([z.literal('x'), z.number()]).nullable(),
    });
    const result = await provider.complete({
      context: context('classify'),
      messages: [{ role: 'user', content: 'go' }],
      tool: { name: 'classify', description: 'd', schema },
    });
    expect(schema.parse(result.output)).toEqual(result.output);
  });

  it('streams the answer in several deltas that add up to the output', async () => {
    const deltas: string[] = [];
    const result = await provider.complete({
      context: context('draft'),
      messages: [{ role: 'user', content: 'A long enough input sentence for the draft step.' }],
      onDelta: (d) => deltas.push(d),
    });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(result.text);
  });

  it('rejects with CANCELLED when the signal aborts', async () => {
    const controller = new AbortController();
    const pending = provider.complete({
      context: context('draft'),
      messages: [{ role: 'user', content: 'Some input that is long enough to stream.' }],
      signal: controller.signal,
      onDelta: () => controller.abort(),
    });
    const error = await pending.catch((e: unknown) => e);
    expect(isLlmError(error) && error.code).toBe('CANCELLED');
  });
});
