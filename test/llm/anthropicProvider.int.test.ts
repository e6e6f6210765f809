import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createAnthropicProvider,
  createLlmProvider,
  isLlmError,
  toolJsonSchema,
  type AnthropicProviderOptions,
  type LlmError,
  type LlmRequest,
} from '../../src/llm/index.js';
import { contractContext, Verdict, verdictTool } from './llmContract.js';
import { captureLogs } from './support/captureLogs.js';
import { fakeBriefModel } from './support/fakeBriefModel.js';
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from './support/fakeAnthropicServer.js';

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  for (const server of servers.splice(0)) await server.close();
});

async function setup(fake: FakeAnthropicOptions, options: AnthropicProviderOptions = {}) {
  const server = await startFakeAnthropic(fake);
  servers.push(server);
  const logs = captureLogs();
  const provider = createAnthropicProvider({
    apiKey: 'sk-ant-test',
    baseURL: server.url,
    logger: logs.logger,
    ...options,
    policy: { initialDelayMs: 1, random: () => 0, ...options.policy },
  });
  return { server, provider, logs };
}

const plain = (content = 'Summarise: the bridge opened in 1932.'): LlmRequest => ({
  context: contractContext('draft'),
  system: 'Be brief.',
  messages: [{ role: 'user', content }],
});
const review = (): LlmRequest<{ verdict: 'approve' | 'revise'; feedback: string }> => ({
  context: contractContext('review'),
  messages: [{ role: 'user', content: 'Draft: it opened.' }],
  tool: verdictTool,
});
const failure = (promise: Promise<unknown>): Promise<LlmError> =>
  promise.then(
    () => expect.fail('expected the call to fail'),
    (error: unknown) => {
      expect(isLlmError(error)).toBe(true);
      return error as LlmError;
    },
  );

describe('Anthropic adapter against a local Messages API', () => {
  it('sends model, params, system and messages, and returns text with the request id', async () => {
    const { server, provider } = await setup({ script: [{ kind: 'message', text: 'It opened in 1932.' }] }, { maxTokens: 321, temperature: 0.2 });
    const result = await provider.complete(plain());
    expect(result).toMatchObject({ text: 'It opened in 1932.', model: 'claude-sonnet-4-6', requestId: 'req_fake_1', attempts: 1, stopReason: 'end_turn' });
    expect(server.requests[0]!.body).toMatchObject({
      model: 'claude-sonnet-4-6',
      max_tokens: 321,
      temperature: 0.2,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Summarise: the bridge opened in 1932.' }],
    });
    expect(server.requests[0]!.body.stream).toBeUndefined();
    expect(server.requests[0]!.apiKey).toBe('sk-ant-test');
  });

  it('forces the tool, sends its JSON Schema, and validates the returned input', async () => {
    const { server, provider } = await setup({
      script: [{ kind: 'message', toolUse: { name: 'submit_verdict', input: { verdict: 'revise', feedback: 'Add the year.' } } }],
    });
    const result = await provider.complete({ ...review(), model: 'claude-opus-4-6' });
    expect(result.output).toEqual({ verdict: 'revise', feedback: 'Add the year.' });
    expect(server.requests[0]!.body).toMatchObject({
      model: 'claude-opus-4-6',
      tools: [{ name: 'submit_verdict', input_schema: toolJsonSchema(verdictTool) }],
      tool_choice: { type: 'tool', name: 'submit_verdict' },
    });
  });

  it('streams text and tool-input deltas live, returning only the final result', async () => {
    const { server, provider } = await setup({
      script: [
        { kind: 'message', text: 'one two three four', chunks: 4 },
        { kind: 'message', toolUse: { name: 'submit_verdict', input: { verdict: 'approve', feedback: 'ok' } } },
      ],
    });
    const deltas: string[] = [];
    const text = await provider.complete({ ...plain(), onDelta: (d) => deltas.push(d) });
    expect(server.requests[0]!.body.stream).toBe(true);
    expect(deltas.join('')).toBe('one two three four');
    expect(deltas.length).toBeGreaterThan(1);
    expect(text.text).toBe('one two three four');
    const json: string[] = [];
    const structured = await provider.complete({ ...review(), onDelta: (d) => json.push(d) });
    expect(structured.output).toEqual({ verdict: 'approve', feedback: 'ok' });
    expect(json.join('')).toBe(JSON.stringify({ verdict: 'approve', feedback: 'ok' }));
  });

  it('retries a 429 after the server-given retry-after, then succeeds', async () => {
    const { server, provider, logs } = await setup({
      script: [
        { kind: 'error', status: 429, headers: { 'retry-after-ms': '30' } },
        { kind: 'message', text: 'fine' },
      ],
    });
    const result = await provider.complete(plain());
    expect(result).toMatchObject({ text: 'fine', attempts: 2, requestId: 'req_fake_2' });
    expect(server.requests).toHaveLength(2);
    const retry = logs.lines().find((line) => line.message === 'LLM call failed, retrying');
    expect(retry).toMatchObject({ workflowId: 'wf-contract', step: 'draft', attempt: 1, code: 'RATE_LIMITED', delayMs: 30, breaker: 'closed' });
    expect(provider.stats()).toMatchObject({ retries: 1, attempts: 2, succeeded: 1 });
  });

  it('retries a 500, then succeeds', async () => {
    const { provider } = await setup({
      script: [
        { kind: 'error', status: 500 },
        { kind: 'message', text: 'recovered' },
      ],
    });
    expect(await provider.complete(plain())).toMatchObject({ text: 'recovered', attempts: 2 });
  });

  it('gives up after the retry budget with the last error, and attempts on it', async () => {
    const { server, provider } = await setup({ fallback: { kind: 'error', status: 503 } }, { policy: { maxRetries: 2, breakerThreshold: 100 } });
    const error = await failure(provider.complete(plain()));
    expect([error.code, error.retryable, error.status]).toEqual(['SERVER_ERROR', true, 503]);
    expect(error.accounting?.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it('opens the shared breaker on a burst of 529s, then closes it after a half-open probe', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { server, provider, logs } = await setup(
      {
        script: [
          { kind: 'error', status: 529 },
          { kind: 'error', status: 529 },
          { kind: 'error', status: 529 },
          { kind: 'message', text: 'back' },
        ],
      },
      { policy: { maxRetries: 2, breakerThreshold: 3, halfOpenAfterMs: 60_000 } },
    );
    const overloaded = await failure(provider.complete(plain()));
    expect(overloaded.code).toBe('OVERLOADED');
    expect(provider.stats()).toMatchObject({ breaker: 'open', breakerOpened: 1 });
    expect(logs.lines().find((line) => line.message === 'LLM circuit breaker opened')).toMatchObject({
      breaker: 'open',
      code: 'OVERLOADED',
      workflowId: 'wf-contract',
      step: 'draft',
      attempt: 3,
    });

    // While open, calls fail fast without reaching the server.
    const open = await failure(provider.complete(plain()));
    expect([open.code, open.retryable]).toEqual(['CIRCUIT_OPEN', true]);
    expect(server.requests).toHaveLength(3);
    expect(provider.stats().rejectedByBreaker).toBe(3);
    expect(
      logs.lines().filter((line) => line.message === 'LLM call failed, retrying' && line.code === 'CIRCUIT_OPEN' && line.workflowId === 'wf-contract'),
    ).toHaveLength(2);

    vi.setSystemTime(Date.now() + 60_001);
    expect((await provider.complete(plain())).text).toBe('back');
    expect(provider.stats()).toMatchObject({ breaker: 'closed', breakerOpened: 1, breakerHalfOpened: 1, breakerClosed: 1 });
    expect(
      logs
        .lines()
        .map((line) => line.breaker)
        .filter(Boolean),
    ).toEqual(expect.arrayContaining(['open', 'half-open', 'closed']));
    expect(server.requests).toHaveLength(4);
  });

  it('without any key, fails the call as AUTHENTICATION saying to set one, not as a bad request, and sends nothing', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', undefined);
    vi.stubEnv('ANTHROPIC_AUTH_TOKEN', undefined);
    const { server, provider } = await setup({ apiKey: 'sk-ant-right' }, { apiKey: undefined });
    const error = await failure(provider.complete(plain()));
    expect([error.code, error.retryable]).toEqual(['AUTHENTICATION', false]);
    expect(error.message).toBe('No Anthropic credentials found. Set ANTHROPIC_API_KEY, or run with --llm offline.');
    expect(server.requests).toHaveLength(0);
  });

  it('does not retry a 401 and says which key to check', async () => {
    const { server, provider } = await setup({ apiKey: 'sk-ant-right' }, { apiKey: 'sk-ant-wrong' });
    const error = await failure(provider.complete(plain()));
    expect([error.code, error.retryable, error.status]).toEqual(['AUTHENTICATION', false, 401]);
    expect(error.message).toBe('Anthropic rejected the API key (401). Check ANTHROPIC_API_KEY.');
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    [400, 'BAD_REQUEST', 'invalid'],
    [403, 'PERMISSION', 'refused access'],
    [404, 'NOT_FOUND', 'claude-sonnet-4-6'],
    [413, 'REQUEST_TOO_LARGE', 'too large'],
  ])('treats %i as terminal (%s)', async (status, code, words) => {
    const { server, provider } = await setup({ fallback: { kind: 'error', status } });
    const error = await failure(provider.complete(plain()));
    expect([error.code, error.retryable]).toEqual([code, false]);
    expect(error.message).toContain(words);
    expect(server.requests).toHaveLength(1);
  });

  it('cuts a hung response with the per-attempt timeout, whose signal closes the request, then retries', async () => {
    const { server, provider } = await setup({ script: [{ kind: 'hang' }, { kind: 'message', text: 'second try' }] }, { policy: { timeoutMs: 150 } });
    const result = await provider.complete(plain());
    expect(result).toMatchObject({ text: 'second try', attempts: 2 });
    expect(await server.requests[0]!.closedEarly).toBe(true);
    expect(provider.stats().timeouts).toBe(1);
  });

  it('reports TIMEOUT when every attempt hangs', async () => {
    const { provider } = await setup({ fallback: { kind: 'hang' } }, { policy: { timeoutMs: 50, maxRetries: 1 } });
    const error = await failure(provider.complete(plain()));
    expect([error.code, error.retryable]).toEqual(['TIMEOUT', true]);
  });

  it('cancels mid-stream at once: CANCELLED, connection closed, no retry', async () => {
    const { server, provider } = await setup({ script: [{ kind: 'streamThenHang', text: 'partial' }] });
    const controller = new AbortController();
    const deltas: string[] = [];
    const error = await failure(
      provider.complete({
        ...plain(),
        signal: controller.signal,
        onDelta: (d) => {
          deltas.push(d);
          controller.abort();
        },
      }),
    );
    expect([error.code, error.retryable]).toEqual(['CANCELLED', false]);
    expect(deltas).toEqual(['partial']);
    expect(await server.requests[0]!.closedEarly).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('feeds malformed tool JSON back to the model and accepts the corrected answer', async () => {
    const { server, provider } = await setup(
      {
        script: [
          { kind: 'message', toolUse: { name: 'submit_verdict', rawJson: '{"verdict": "approve", "feedb', id: 'toolu_bad' } },
          { kind: 'message', toolUse: { name: 'submit_verdict', input: { verdict: 'approve', feedback: 'Good.' } } },
        ],
      },
      { streaming: 'always' },
    );
    const result = await provider.complete(review());
    expect(result.output).toEqual({ verdict: 'approve', feedback: 'Good.' });
    expect(result.attempts).toBe(2);
    const retried = server.requests[1]!.body.messages as { role: string; content: unknown }[];
    expect(retried).toHaveLength(3);
    expect(retried[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_bad', name: 'submit_verdict', input: {} }] });
    expect(retried[2]).toMatchObject({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_bad', is_error: true, content: expect.stringContaining('not valid JSON') }, { type: 'text' }],
    });
  });

  it('fails with a terminal INVALID_OUTPUT after two corrections, keeping what was spent', async () => {
    const { server, provider } = await setup({
      fallback: { kind: 'message', toolUse: { name: 'submit_verdict', input: { verdict: 'maybe' } }, usage: { input_tokens: 100, output_tokens: 10 } },
    });
    const error = await failure(provider.complete(review()));
    expect([error.code, error.retryable]).toEqual(['INVALID_OUTPUT', false]);
    expect(error.message).toContain('"submit_verdict" input was invalid 3 times');
    expect(error.message).toContain('verdict');
    expect(server.requests).toHaveLength(3);
    expect(error.accounting).toMatchObject({ attempts: 3, usage: { inputTokens: 300, outputTokens: 30 }, costUsd: (3 * (100 * 3 + 10 * 15)) / 1e6 });
    expect(Verdict.safeParse({ verdict: 'maybe' }).success).toBe(false);
  });

  it.each(['never', 'always'] as const)('accounts usage exactly as the server reported it (streaming: %s)', async (streaming) => {
    const usage = { input_tokens: 1200, output_tokens: 345, cache_read_input_tokens: 800, cache_creation_input_tokens: 100 };
    const { provider } = await setup({ script: [{ kind: 'message', text: 'done', usage }] }, { streaming });
    const result = await provider.complete(plain());
    expect(result.usage).toEqual({ inputTokens: 1200, outputTokens: 345, cacheReadTokens: 800, cacheWriteTokens: 100 });
    // claude-sonnet-4-6: $3 in, $15 out, cache write 1.25× in, cache read 0.1× in, per million tokens.
    expect(result.costUsd).toBeCloseTo((1200 * 3 + 345 * 15 + 100 * 3.75 + 800 * 0.3) / 1e6, 10);
  });

  it('prices from a configurable table; an unknown model costs 0 with one warning', async () => {
    const { provider, logs } = await setup(
      { fallback: { kind: 'message', text: 'x', usage: { input_tokens: 1_000_000, output_tokens: 0 } } },
      { prices: { 'my-model': { input: 2, output: 4 } } },
    );
    expect((await provider.complete({ ...plain(), model: 'my-model' })).costUsd).toBe(2);
    expect((await provider.complete({ ...plain(), model: 'claude-unknown-9' })).costUsd).toBe(0);
    expect((await provider.complete({ ...plain(), model: 'claude-unknown-9' })).costUsd).toBe(0);
    expect(logs.lines().filter((line) => String(line.message).startsWith('No price for this model'))).toHaveLength(1);
  });

  it('honours ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY from the environment, as the SDK does', async () => {
    const server = await startFakeAnthropic({ apiKey: 'sk-ant-from-env', script: [{ kind: 'message', text: 'via env' }] });
    servers.push(server);
    vi.stubEnv('ANTHROPIC_BASE_URL', server.url);
    vi.stubEnv('ANTHROPIC_API_KEY', 'sk-ant-from-env');
    vi.stubEnv('ECL_LLM', '');
    const warn = vi.spyOn(console, 'warn');
    const selected = createLlmProvider(undefined);
    expect(selected.description).toBe(`LLM: Anthropic claude-sonnet-4-6 at ${server.url} (ANTHROPIC_API_KEY is set)`);
    expect((await selected.provider.complete(plain())).text).toBe('via env');
    expect(server.requests[0]!.apiKey).toBe('sk-ant-from-env');
    // The default model is not one the SDK warns about as deprecated.
    expect(warn).not.toHaveBeenCalled();
    expect(selected.stats?.()).toMatchObject({ calls: 1, succeeded: 1, breaker: 'closed' });
  });

  it('rejects calls beyond the bulkhead queue with BULKHEAD_FULL', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { provider } = await setup(
      {
        handler: async () => {
          await gate;
          return { kind: 'message', text: 'ok' };
        },
      },
      { policy: { concurrency: 1, queue: 1 } },
    );
    const first = provider.complete(plain());
    const second = provider.complete(plain());
    const third = await failure(provider.complete(plain()));
    expect([third.code, third.retryable]).toEqual(['BULKHEAD_FULL', true]);
    release();
    expect((await first).text).toBe('ok');
    expect((await second).text).toBe('ok');
    expect(provider.stats().rejectedByBulkhead).toBe(1);
  });

  it('plays the brief workflow through the fake brief model: facts, a draft, revise then approve', async () => {
    const { provider } = await setup({ handler: fakeBriefModel() });
    const facts = await provider.complete({ ...plain('Some input.'), system: 'Extract the facts.' });
    expect(facts.text).toContain('- First fact');
    expect((await provider.complete(plain())).text).toContain('# Draft');
    expect((await provider.complete(review())).output?.verdict).toBe('revise');
    const approved = await provider.complete(review());
    expect(approved.output?.verdict).toBe('approve');
    expect(approved.usage).toEqual({ inputTokens: 120, outputTokens: 40 });
    expect(approved.costUsd).toBeCloseTo((120 * 3 + 40 * 15) / 1e6, 10);
  });
});
