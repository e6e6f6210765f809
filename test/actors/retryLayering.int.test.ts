import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAnthropicProvider, type LlmProvider } from '../../src/llm/index.js';
import { createRegistry, defineWorkflow, type WorkflowEvent } from '../../src/machines/index.js';
import { fakeBriefModel } from '../llm/support/fakeBriefModel.js';
import { startFakeAnthropic, type FakeAnthropic, type FakeReply, type FakeRequest } from '../llm/support/fakeAnthropicServer.js';
import { briefInput, createHarness, types } from './support/harness.js';

/** The provider retries a failed call twice (three requests in all); the engine would make three calls per attempt. */
const PROVIDER_RETRIES = 2;
const ENGINE_CALLS = 3;
const usage = { input_tokens: 120, output_tokens: 40 };
// claude-sonnet-4-6: $3 in, $15 out per million tokens.
const costOfOneAnswer = (120 * 3 + 40 * 15) / 1_000_000;

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function anthropicOn(handler: (request: FakeRequest) => FakeReply): Promise<{ server: FakeAnthropic; provider: LlmProvider }> {
  const server = await startFakeAnthropic({ handler });
  servers.push(server);
  const provider = createAnthropicProvider({
    apiKey: 'sk-ant-test',
    baseURL: server.url,
    policy: { maxRetries: PROVIDER_RETRIES, initialDelayMs: 1, maxDelayMs: 1, random: () => 0 },
  });
  return { server, provider };
}

const isExtract = (request: FakeRequest): boolean => /extract/i.test(request.body.system ?? '');
const isReview = (request: FakeRequest): boolean => (request.body.tools ?? []).length > 0;
const outcomeOf = (events: WorkflowEvent[], step: string) =>
  events.findLast((event) => (event.type === 'StepCompleted' || event.type === 'StepFailed') && event.data.step === step);

describe('model calls are retried by the provider policy only', () => {
  it('a model that keeps failing with a retryable error is called as often as the provider policy allows, not times the engine retries', async () => {
    const { server, provider } = await anthropicOn(() => ({ kind: 'error', status: 529 }));
    const h = createHarness({ llm: provider, engine: { retry: { maxAttempts: ENGINE_CALLS, initialDelayMs: 1, maxDelayMs: 1 } } });
    await h.engine.start('brief', briefInput(), { id: 'b1' });
    expect(await h.engine.settled('b1')).toMatchObject({ status: 'failed' });

    expect(server.requests).toHaveLength(1 + PROVIDER_RETRIES);
    expect(h.llm.calls).toHaveLength(1);
    const events = await h.events('b1');
    // The failed call is journaled (its final error, after the provider's retries), then the step fails with it.
    expect(types(events)).toEqual(['WorkflowStarted', 'StepStarted', 'CallCompleted', 'StepFailed', 'WorkflowFailed']);
    expect(events[2]).toMatchObject({
      type: 'CallCompleted',
      data: {
        step: 'extract',
        call: 'complete#1',
        kind: 'complete',
        seq: 0,
        error: { code: 'OVERLOADED', retryable: true },
        llm: { attempts: 1 + PROVIDER_RETRIES },
      },
    });
    expect(outcomeOf(events, 'extract')).toMatchObject({
      type: 'StepFailed',
      data: {
        attempt: 1,
        error: { code: 'OVERLOADED', retryable: true },
        llm: { model: 'claude-sonnet-4-6', attempts: 1 + PROVIDER_RETRIES, inputTokens: 0, outputTokens: 0, costUsd: 0 },
      },
    });
  });

  it('a model that fails fewer times than the policy allows completes the step, which records every attempt', async () => {
    let extractFailures = 0;
    const model = fakeBriefModel({ usage });
    const { server, provider } = await anthropicOn((request) =>
      isExtract(request) && extractFailures++ < PROVIDER_RETRIES ? { kind: 'error', status: 500 } : model(request),
    );
    const h = createHarness({ llm: provider });
    await h.engine.start('brief', briefInput(), { id: 'b2' });
    expect(await h.engine.settled('b2')).toMatchObject({ status: 'completed' });

    expect(server.requests.filter(isExtract)).toHaveLength(1 + PROVIDER_RETRIES);
    expect(outcomeOf(await h.events('b2'), 'extract')).toMatchObject({
      type: 'StepCompleted',
      data: {
        attempt: 1,
        llm: { attempts: 1 + PROVIDER_RETRIES, inputTokens: 120, outputTokens: 40, costUsd: costOfOneAnswer, requestId: `req_fake_${1 + PROVIDER_RETRIES}` },
      },
    });
  });

  it('a failed call records what its attempts cost (invalid outputs are paid for)', async () => {
    const model = fakeBriefModel({ usage });
    const { server, provider } = await anthropicOn((request) =>
      isReview(request) ? { kind: 'message', toolUse: { name: 'submit_verdict', input: { verdict: 'maybe' } }, usage } : model(request),
    );
    const h = createHarness({ llm: provider });
    await h.engine.start('brief', briefInput(), { id: 'b3' });
    expect(await h.engine.settled('b3')).toMatchObject({ status: 'failed' });

    // One call and its two corrections, once: INVALID_OUTPUT is terminal.
    expect(server.requests.filter(isReview)).toHaveLength(3);
    const failed = outcomeOf(await h.events('b3'), 'review');
    expect(failed).toMatchObject({
      type: 'StepFailed',
      data: { error: { code: 'INVALID_OUTPUT', retryable: false }, llm: { attempts: 3, inputTokens: 360, outputTokens: 120 } },
    });
    expect(failed?.type === 'StepFailed' && failed.data.llm?.costUsd).toBeCloseTo(3 * costOfOneAnswer, 12);
    // extract and draft, then the failed review: the workflow's usage counts what the failure cost.
    expect((await h.engine.get('b3'))?.usage).toMatchObject({ inputTokens: 2 * 120 + 360, outputTokens: 2 * 40 + 120 });
  });

  it('a scripted retryable model error fails the step without another call', async () => {
    const h = createHarness({ script: { steps: { extract: [{ error: { code: 'OVERLOADED' } }] }, fallback: 'offline' } });
    await h.engine.start('brief', briefInput(), { id: 'b4' });
    expect(await h.engine.settled('b4')).toMatchObject({ status: 'failed' });
    expect(h.llm.calls).toHaveLength(1);
    expect(outcomeOf(await h.events('b4'), 'extract')).toMatchObject({ type: 'StepFailed', data: { error: { code: 'OVERLOADED', retryable: true } } });
  });
});

describe('plain function steps are retried by the step retry policy, as recorded attempts', () => {
  const flaky = (failures: number, calls: { count: number }) =>
    defineWorkflow({
      name: 'flaky',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'fetch',
          run: async () => {
            calls.count++;
            if (calls.count <= failures) throw Object.assign(new Error('The service is busy'), { code: 'BUSY', retryable: true });
            return 'fetched';
          },
        },
      ],
    });

  it('retries a retryable error as new recorded attempts, each after its backoff, and completes', async () => {
    const calls = { count: 0 };
    const h = createHarness({ definitions: createRegistry([flaky(2, calls)]), engine: { retry: { initialDelayMs: 1_000, maxDelayMs: 60_000 } } });
    const started = h.clock.now().getTime();
    await h.engine.start('flaky', {}, { id: 'f1' });
    expect(await h.clock.runUntil(h.engine.settled('f1'))).toMatchObject({ status: 'completed', output: 'fetched' });
    expect(calls.count).toBe(3);
    const events = await h.events('f1');
    expect(types(events)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'StepFailed',
      'StepStarted',
      'StepFailed',
      'StepStarted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    const failures = events.filter((event) => event.type === 'StepFailed');
    // Each attempt is recorded with its number and error; the backoff doubles from the first delay, as due times.
    expect(failures.map((event) => [event.data.attempt, event.data.error.code, Date.parse(event.data.retryAt ?? '') - started])).toEqual([
      [1, 'BUSY', 1_000],
      [2, 'BUSY', 1_000 + 2_000],
    ]);
    expect(outcomeOf(events, 'fetch')).toMatchObject({ data: { attempt: 3, output: 'fetched' } });
  });

  it('gives up after the engine allows, recording the last error', async () => {
    const calls = { count: 0 };
    const h = createHarness({
      definitions: createRegistry([flaky(Infinity, calls)]),
      engine: { retry: { maxAttempts: ENGINE_CALLS, initialDelayMs: 1, maxDelayMs: 1 } },
    });
    await h.engine.start('flaky', {}, { id: 'f2' });
    expect(await h.clock.runUntil(h.engine.settled('f2'))).toMatchObject({ status: 'failed' });
    expect(calls.count).toBe(ENGINE_CALLS);
    const failed = outcomeOf(await h.events('f2'), 'fetch');
    expect(failed).toMatchObject({
      type: 'StepFailed',
      data: { attempt: ENGINE_CALLS, error: { code: 'BUSY', message: 'The service is busy', retryable: true } },
    });
    expect(failed?.type === 'StepFailed' && failed.data.retryAt).toBeUndefined();
    expect(failed?.type === 'StepFailed' && failed.data.llm).toBeUndefined();
  });
});

describe("a retried attempt's model calls are counted once in the workflow's usage", () => {
  it('given a model call recorded by attempt 1, which then fails retryably after it, when attempt 2 replays the call and completes, then usage counts the call once', async () => {
    const priced: LlmProvider = {
      name: 'priced',
      complete: async () => ({
        text: 'answer',
        model: 'priced-1',
        usage: { inputTokens: 100, outputTokens: 10 },
        costUsd: 0.5,
        latencyMs: 1,
        attempts: 1,
        promptHash: 'sha256:q',
      }),
    };
    const syncing = defineWorkflow({
      name: 'syncing',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'sync',
          retry: { maxAttempts: 2, initialDelayMs: 1_000 },
          run: async (ctx) => {
            const answer = await ctx.complete({ name: 'ask', messages: [{ role: 'user', content: 'q' }] });
            return ctx.run('save', () => {
              if (ctx.attempt === 1) throw Object.assign(new Error('The database is busy'), { code: 'BUSY', retryable: true });
              return answer.text;
            });
          },
        },
      ],
    });
    const h = createHarness({ llm: priced, definitions: createRegistry([syncing]), engine: { retry: { maxAttempts: 1 } } });
    await h.engine.start('syncing', {}, { id: 'u1' });
    const view = await h.clock.runUntil(h.engine.settled('u1'));
    expect(view).toMatchObject({ status: 'completed', output: 'answer' });
    const events = await h.events('u1');
    expect(types(events).filter((type) => type === 'StepFailed')).toHaveLength(1);
    // One model call was made and paid for: the workflow's usage (what its budget checks) counts it once.
    expect(h.llm.calls).toHaveLength(1);
    expect(view.usage).toEqual({ inputTokens: 100, outputTokens: 10, costUsd: 0.5 });
    await h.engine.close();
  });
});
