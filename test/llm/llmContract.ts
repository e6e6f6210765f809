/**
 * The LLM port's contract: every provider (offline, scripted, Anthropic against the fake server) must pass it.
 * The factory gets the answers the suite expects, so each adapter can be set up to give them:
 * plain calls come from step `draft`, structured calls from step `review` with the `submit_verdict` tool.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isLlmError, type LlmCallContext, type LlmProvider, type LlmRequest } from '../../src/llm/index.js';

export const Verdict = z.object({ verdict: z.enum(['approve', 'revise']), feedback: z.string() });
export const verdictTool = { name: 'submit_verdict', description: 'Approve the draft or ask for a revision with feedback.', schema: Verdict };

export interface ContractSubject {
  provider: LlmProvider;
  cleanup?: () => Promise<void>;
}

export const contractContext = (step: string, iteration = 1): LlmCallContext => ({
  workflowId: 'wf-contract',
  definition: 'brief',
  step,
  iteration,
  attempt: 1,
  idempotencyKey: `wf-contract:${step}:${iteration}`,
});

const draftRequest = (content = 'Facts:\n- The library opened in 1901.\n- It lends 40,000 books a year.'): LlmRequest => ({
  context: contractContext('draft'),
  system: 'Write a two-sentence summary.',
  messages: [{ role: 'user', content }],
});
const reviewRequest = (): LlmRequest<z.infer<typeof Verdict>> => ({
  context: contractContext('review'),
  system: 'Review the draft.',
  messages: [{ role: 'user', content: 'Draft: The library opened in 1901 and lends many books.' }],
  tool: verdictTool,
});

export function llmContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`LLM contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    const make = async (): Promise<LlmProvider> => {
      const subject = await factory();
      if (subject.cleanup) cleanups.push(subject.cleanup);
      return subject.provider;
    };
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    it('answers a plain call with text and full accounting', async () => {
      const provider = await make();
      const result = await provider.complete(draftRequest());
      expect(result.text.length).toBeGreaterThan(0);
      expect(result.output).toBeUndefined();
      expect(result.model.length).toBeGreaterThan(0);
      expect(Number.isInteger(result.usage.inputTokens) && result.usage.inputTokens > 0).toBe(true);
      expect(Number.isInteger(result.usage.outputTokens) && result.usage.outputTokens > 0).toBe(true);
      expect(result.costUsd).toBeGreaterThanOrEqual(0);
      expect(result.latencyMs).toBeGreaterThanOrEqual(0);
      expect(result.attempts).toBe(1);
      expect(result.promptHash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('hashes the exact prompt: equal prompts equal hashes, any change a new hash', async () => {
      const provider = await make();
      const a = await provider.complete(draftRequest());
      const b = await provider.complete(draftRequest());
      const c = await provider.complete(draftRequest('Facts:\n- The library opened in 1902.'));
      expect(b.promptHash).toBe(a.promptHash);
      expect(c.promptHash).not.toBe(a.promptHash);
    });

    it('returns a structured output that the tool schema accepts', async () => {
      const provider = await make();
      const result = await provider.complete(reviewRequest());
      expect(Verdict.parse(result.output)).toEqual(result.output);
      expect(typeof result.text).toBe('string');
    });

    it('streams deltas that add up to the final answer', async () => {
      const provider = await make();
      const textDeltas: string[] = [];
      const text = await provider.complete({ ...draftRequest(), onDelta: (delta) => textDeltas.push(delta) });
      expect(textDeltas.length).toBeGreaterThan(0);
      expect(textDeltas.join('')).toBe(text.text);
      const jsonDeltas: string[] = [];
      const structured = await provider.complete({ ...reviewRequest(), onDelta: (delta) => jsonDeltas.push(delta) });
      expect(JSON.parse(jsonDeltas.join(''))).toEqual(structured.output);
    });

    it('rejects with CANCELLED, without calling, when the signal is already aborted', async () => {
      const provider = await make();
      const error = await provider.complete({ ...draftRequest(), signal: AbortSignal.abort() }).catch((e: unknown) => e);
      expect(isLlmError(error) && [error.code, error.retryable]).toEqual(['CANCELLED', false]);
    });

    it('rejects with CANCELLED when aborted mid-stream', async () => {
      const provider = await make();
      const controller = new AbortController();
      const error = await provider.complete({ ...draftRequest(), signal: controller.signal, onDelta: () => controller.abort() }).catch((e: unknown) => e);
      expect(isLlmError(error) && error.code).toBe('CANCELLED');
    });
  });
}
