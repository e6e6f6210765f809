import { afterEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../src/llm/index.js';
import { contractContext, verdictTool } from './llmContract.js';
import { captureLogs } from './support/captureLogs.js';
import { startFakeAnthropic, type FakeAnthropic } from './support/fakeAnthropicServer.js';

const KEY = 'sk-ant-api03-SECRETKEY-0123456789';
const PROMPT = 'PROMPT-SECRET-4242 the quarterly numbers';
const SYSTEM = 'SYSTEM-SECRET-4242 be terse';
const COMPLETION = 'COMPLETION-SECRET-4242 numbers went up';
const FEEDBACK = 'FEEDBACK-SECRET-4242 tighten it';
const SECRETS = ['SECRETKEY', 'PROMPT-SECRET', 'SYSTEM-SECRET', 'COMPLETION-SECRET', 'FEEDBACK-SECRET'];

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

describe('log hygiene', () => {
  it.each(['info', 'debug'])('logs no API key, prompt or completion text at level %s, through success, retries, repairs and failures', async (level) => {
    const server = await startFakeAnthropic({
      apiKey: KEY,
      script: [
        { kind: 'error', status: 429, headers: { 'retry-after-ms': '1' } },
        { kind: 'message', text: COMPLETION, chunks: 3 },
        { kind: 'message', toolUse: { name: 'submit_verdict', input: { verdict: FEEDBACK } } },
        { kind: 'message', toolUse: { name: 'submit_verdict', input: { verdict: 'revise', feedback: FEEDBACK } } },
        { kind: 'error', status: 400, message: 'bad request' },
        { kind: 'error', status: 529 },
        { kind: 'error', status: 529 },
      ],
    });
    servers.push(server);
    const logs = captureLogs(level);
    const provider = createAnthropicProvider({
      apiKey: KEY,
      baseURL: server.url,
      logger: logs.logger,
      policy: { initialDelayMs: 1, maxRetries: 1, breakerThreshold: 2 },
    });
    const request = { context: contractContext('draft'), system: SYSTEM, messages: [{ role: 'user' as const, content: PROMPT }] };
    const errors: unknown[] = [];
    await provider.complete({ ...request, onDelta: () => undefined });
    await provider.complete({ ...request, tool: verdictTool });
    await provider.complete(request).catch((error: unknown) => errors.push(error));
    await provider.complete(request).catch((error: unknown) => errors.push(error));
    await provider.complete(request).catch((error: unknown) => errors.push(error));
    const wrongKey = createAnthropicProvider({ apiKey: `${KEY}-wrong`, baseURL: server.url, logger: logs.logger });
    await wrongKey.complete(request).catch((error: unknown) => errors.push(error));

    const text = logs.text();
    expect(logs.lines().length).toBeGreaterThan(5);
    expect(text).toContain('LLM call completed');
    expect(text).toContain('LLM call failed, retrying');
    expect(text).toContain('LLM circuit breaker opened');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(errors).toHaveLength(4);
    for (const error of errors) for (const secret of SECRETS) expect((error as Error).message).not.toContain(secret);
  });
});
