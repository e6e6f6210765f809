import type { FakeReply, FakeRequest } from './fakeAnthropicServer.js';

export interface FakeBriefModelOptions {
  /** Verdicts `submit_verdict` returns, in call order; the last one repeats. Default: revise, then approve. */
  verdicts?: ('approve' | 'revise')[];
  /** Usage reported on every answer, so audits show tokens and cost. */
  usage?: { input_tokens: number; output_tokens: number };
}

/**
 * A `handler` for startFakeAnthropic that plays the `brief` workflow's model: bullet facts for an extract
 * prompt, a short draft for other plain prompts, and the scripted verdicts for `submit_verdict`.
 * For engine and end-to-end tests that run `brief` with ANTHROPIC_BASE_URL pointing at the fake server.
 */
export function fakeBriefModel(options: FakeBriefModelOptions = {}): (request: FakeRequest) => FakeReply {
  const verdicts = options.verdicts ?? ['revise', 'approve'];
  const usage = options.usage ?? { input_tokens: 120, output_tokens: 40 };
  let reviews = 0;
  return (request) => {
    const tools = (request.body.tools ?? []) as { name: string }[];
    if (tools.some((tool) => tool.name === 'submit_verdict')) {
      const verdict = verdicts[Math.min(reviews, verdicts.length - 1)] ?? 'approve';
      reviews++;
      const feedback = verdict === 'revise' ? 'Lead with the main conclusion and cite one fact per point.' : 'Approved.';
      return { kind: 'message', toolUse: { name: 'submit_verdict', input: { verdict, feedback } }, usage };
    }
    if (tools.length > 0) return { kind: 'message', toolUse: { name: tools[0]!.name, input: {} }, usage };
    const prompt = `${request.body.system ?? ''}\n${JSON.stringify(request.body.messages)}`;
    const text = /extract/i.test(prompt) ? '- First fact from the input.\n- Second fact from the input.' : '# Draft\n\nA short document built from the facts.';
    return { kind: 'message', text, usage };
  };
}
