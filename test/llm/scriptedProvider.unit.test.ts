import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLlmProvider, createScriptedProvider, isLlmError, type LlmRequest } from '../../src/llm/index.js';

const context = (step: string, iteration = 1, attempt = 1) => ({
  workflowId: 'wf-1',
  definition: 'brief',
  step,
  iteration,
  attempt,
  idempotencyKey: `wf-1:${step}:${iteration}`,
});
const Verdict = z.object({ verdict: z.enum(['approve', 'revise']), feedback: z.string() });
const verdictTool = { name: 'submit_verdict', description: 'Judge the draft', schema: Verdict };
const messages = [{ role: 'user' as const, content: 'hello' }];
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecl-script-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('scripted provider', () => {
  it("matches an entry's call to a step's call by its name, and to a fan-out item's by the item (any of its calls) or the call's path", async () => {
    const provider = createScriptedProvider({
      script: {
        steps: {
          read: [
            { call: 'doc/1/complete#2', text: 'second call of doc/1' },
            { call: 'doc/1', text: 'any call of doc/1' },
            { call: 'summary', text: 'the call named summary' },
            { text: 'anything else' },
          ],
        },
      },
      env: {},
    });
    const answer = async (call: string, item?: string) =>
      (await provider.complete({ context: { ...context('read'), call, ...(item === undefined ? {} : { item }) }, messages })).text;
    expect(await answer('complete#1', 'doc/1')).toBe('any call of doc/1');
    expect(await answer('complete#2', 'doc/1')).toBe('second call of doc/1');
    expect(await answer('complete#2', 'doc/0')).toBe('anything else');
    // An entry for a step's call (by its name) does not answer an item's call of that name.
    expect(await answer('summary', 'doc/0')).toBe('anything else');
    expect(await answer('summary')).toBe('the call named summary');
    expect(await answer('doc/1')).toBe('any call of doc/1');
    expect(await answer('complete#2')).toBe('anything else');
  });

  it('answers per step and iteration, first matching entry wins', async () => {
    const provider = createScriptedProvider({
      script: {
        steps: {
          review: [{ iteration: 1, output: { verdict: 'revise', feedback: 'Shorter.' } }, { output: { verdict: 'approve', feedback: 'Good.' } }],
          draft: [{ text: 'Draft text.', usage: { inputTokens: 10, outputTokens: 3 }, costUsd: 0.5 }],
        },
      },
    });
    expect((await provider.complete({ context: context('review', 1), messages, tool: verdictTool })).output).toEqual({
      verdict: 'revise',
      feedback: 'Shorter.',
    });
    expect((await provider.complete({ context: context('review', 2), messages, tool: verdictTool })).output).toEqual({ verdict: 'approve', feedback: 'Good.' });
    const draft = await provider.complete({ context: context('draft'), messages });
    expect(draft).toMatchObject({ text: 'Draft text.', usage: { inputTokens: 10, outputTokens: 3 }, costUsd: 0.5, attempts: 1 });
  });

  it('scripts errors per attempt and caps entries with times', async () => {
    const provider = createScriptedProvider({
      script: {
        steps: { draft: [{ attempt: 1, error: { code: 'OVERLOADED' } }, { times: 1, error: { code: 'RATE_LIMITED', retryAfterMs: 1500 } }, { text: 'ok' }] },
      },
    });
    const first = await errorOf(provider.complete({ context: context('draft', 1, 1), messages }));
    expect(isLlmError(first) && [first.code, first.retryable]).toEqual(['OVERLOADED', true]);
    const second = await errorOf(provider.complete({ context: context('draft', 1, 2), messages }));
    expect(isLlmError(second) && [second.code, second.retryAfterMs]).toEqual(['RATE_LIMITED', 1500]);
    expect((await provider.complete({ context: context('draft', 1, 2), messages })).text).toBe('ok');
  });

  it('fails clearly when nothing matches, or defers to the offline model when asked to', async () => {
    const strict = createScriptedProvider({ script: { steps: {} } });
    const error = await errorOf(strict.complete({ context: context('draft', 2), messages }));
    expect(isLlmError(error) && error.code).toBe('SCRIPT_EXHAUSTED');
    expect((error as Error).message).toBe('The LLM script has no answer for step "draft" (iteration 2, attempt 1): it has no step entries, and no default.');
    // A misspelt step is named beside the step asked for.
    const typo = createScriptedProvider({ script: { steps: { drfat: [{ text: 'x' }] } } });
    expect(((await errorOf(typo.complete({ context: context('draft', 1), messages }))) as Error).message).toBe(
      'The LLM script has no answer for step "draft" (iteration 1, attempt 1): it has no entries for it, and no default (its steps: drfat).',
    );
    const spent = createScriptedProvider({ script: { steps: { draft: [{ times: 1, text: 'once' }] } } });
    await spent.complete({ context: context('draft', 1), messages });
    expect(((await errorOf(spent.complete({ context: context('draft', 2), messages }))) as Error).message).toMatch(
      /: none of its 1 entries for it matches this iteration, attempt and call, or those that did were used up \(times\)\.$/,
    );
    const lenient = createScriptedProvider({ script: { fallback: 'offline' } });
    expect((await lenient.complete({ context: context('review', 2), messages, tool: verdictTool })).output?.verdict).toBe('approve');
  });

  it('rejects a scripted output that does not fit the tool schema', async () => {
    const provider = createScriptedProvider({ script: { default: { output: { verdict: 'maybe' } } } });
    const error = await errorOf(provider.complete({ context: context('review'), messages, tool: verdictTool }));
    expect(isLlmError(error) && error.code).toBe('INVALID_OUTPUT');
    expect((error as Error).message).toBe(
      'The LLM script, default: "output" is not a valid "submit_verdict" input: verdict: Invalid option: expected one of "approve"|"revise"; feedback: Invalid input: expected string, received undefined',
    );
  });

  it('says what to script when an entry for a tool call gives only text', async () => {
    const provider = createScriptedProvider({ script: { steps: { review: [{ text: 'Looks fine.' }] } } });
    const error = await errorOf(provider.complete({ context: context('review'), messages, tool: verdictTool }));
    expect(isLlmError(error) && error.code).toBe('INVALID_OUTPUT');
    expect((error as Error).message).toBe(
      'The LLM script, steps.review[0]: this call uses the tool "submit_verdict", so the entry needs an "output" (the tool\'s input), not only "text"; a model that answers without the tool is scripted as "error": { "code": "INVALID_OUTPUT" }',
    );
  });

  it('names the file and the field of an invalid script', () => {
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ steps: { review: [{ iteration: 0, text: 'x' }, { holdMs: 5 }] } }));
    let error: unknown;
    try {
      createLlmProvider(`script:${file}`, { env: {} });
    } catch (e) {
      error = e;
    }
    expect(isLlmError(error) && error.code).toBe('CONFIG');
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('steps.review[0].iteration');
    expect((error as Error).message).toContain('steps.review[1]: an entry needs "text", "output" or "error"');
  });

  it('holds until aborted, logging each call before it answers', async () => {
    const dir = tempDir();
    const file = join(dir, 'script.json');
    const log = join(dir, 'calls.jsonl');
    writeFileSync(file, JSON.stringify({ steps: { extract: [{ text: '- a fact' }], draft: [{ holdMs: 'untilAborted', text: 'never' }] } }));
    const selected = createLlmProvider(`script:${file}`, { env: { ECL_SCRIPT_CALL_LOG: log } });
    expect(selected.description).toBe(`LLM: scripted answers from ${file} (--llm script:${file})`);
    await selected.provider.complete({ context: context('extract'), messages });
    const controller = new AbortController();
    const pending = errorOf(selected.provider.complete({ context: context('draft'), messages, signal: controller.signal } as LlmRequest));
    await new Promise((resolve) => setImmediate(resolve));
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { step: string; entry: string });
    expect(calls.map((call) => [call.step, call.entry])).toEqual([
      ['extract', 'steps.extract[0]'],
      ['draft', 'steps.draft[0]'],
    ]);
    controller.abort();
    const error = await pending;
    expect(isLlmError(error) && error.code).toBe('CANCELLED');
  });
});
