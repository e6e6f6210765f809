import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStore, workflowStream } from '../../src/eventstore/index.js';
import type { AuditEntry } from '../../src/projections/index.js';
import { killChildren, runEcl, tempFolder, type CliRun } from '../cli/cliHarness.js';
import { fakeBriefModel } from '../llm/support/fakeBriefModel.js';
import { startFakeAnthropic, type FakeAnthropic, type FakeReply, type FakeRequest } from '../llm/support/fakeAnthropicServer.js';

const API_KEY = 'a-fake-secret-key';
// Prompt text: the instructions and a document that only ever travel to the model.
const INSTRUCTIONS = 'Summarise the heron-survey pilot for the board.';
const DOCUMENT = 'The heron survey counted 417 nests along the Vistula estuary.';
// Completion text: what the fake model answers (fakeBriefModel), and a system prompt of `brief`.
const COMPLETIONS = ['First fact from the input.', 'A short document built from the facts.', 'Lead with the main conclusion and cite one fact per point.'];
const SYSTEM_PROMPT = 'Extract the key facts from the documents below';
// claude-sonnet-4-6, USD per million tokens.
const PRICE = { input: 3, output: 15 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Answered {
  model: string;
  inputTokens: number;
  outputTokens: number;
}

/** brief's model, with different usage on every answer (so each audit line must match its own call), and one 429 first. */
async function startModel(): Promise<{ server: FakeAnthropic; answered: Answered[] }> {
  const brief = fakeBriefModel();
  const answered: Answered[] = [];
  const handler = (request: FakeRequest): FakeReply => {
    if (request.index === 0) return { kind: 'error', status: 429, headers: { 'retry-after-ms': '1' } };
    const usage = { input_tokens: 100 + 7 * request.index, output_tokens: 20 + 3 * request.index };
    answered.push({ model: request.body.model, inputTokens: usage.input_tokens, outputTokens: usage.output_tokens });
    return { ...(brief(request) as Extract<FakeReply, { kind: 'message' }>), usage };
  };
  const server = await startFakeAnthropic({ handler, apiKey: API_KEY });
  cleanups.push(() => server.close());
  return { server, answered };
}

describe('brief on the Anthropic adapter, through the real CLI and a local Messages API', () => {
  it('completes; the audit shows model, tokens and cost of every call; no key, prompt or completion in the logs', async () => {
    const { server, answered } = await startModel();
    const { dir, cleanup } = tempFolder();
    cleanups.push(cleanup);
    const store = `sqlite:${join(dir, 'x.db')}`;
    const env = { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: server.url };
    const input = JSON.stringify({ instructions: INSTRUCTIONS, documents: [{ name: 'survey.md', text: DOCUMENT }] });

    const run = await runEcl(
      ['run', 'brief', '--input', input, '--id', 'heron-1', '--llm', 'anthropic', '--store', store, '--artifacts', join(dir, 'artifacts')],
      { cwd: dir, env },
    );
    expect(run.stderr).toMatch(/LLM call failed, retrying/); // the 429: the default level does log something
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`LLM: Anthropic claude-sonnet-4-6 at ${server.url} (--llm anthropic)`);
    expect(run.stdout).toMatch(/Completed heron-1/);
    expect(server.requests.every((request) => request.apiKey === API_KEY)).toBe(true);
    // extract (after one 429), draft, review (revise), draft, review (approve).
    expect(server.requests).toHaveLength(6);
    expect(answered).toHaveLength(5);

    const audit = await runEcl(['audit', 'heron-1', '--json', '--store', store], { cwd: dir, env });
    expect(audit.code).toBe(0);
    const { entries } = JSON.parse(audit.stdout) as { entries: AuditEntry[] };
    // Each model call is journaled as its own CallCompleted; each step's outcome totals its calls (one each here).
    const calls = entries.filter((entry) => entry.type === 'CallCompleted');
    expect(calls.map((entry) => `${entry.type} ${entry.step}`)).toEqual([
      'CallCompleted extract',
      'CallCompleted draft',
      'CallCompleted review',
      'CallCompleted draft',
      'CallCompleted review',
    ]);
    const steps = entries.filter((entry) => entry.type === 'StepCompleted' && entry.model !== null);
    expect(steps.map((entry) => entry.step)).toEqual(['extract', 'draft', 'review', 'draft', 'review']);
    steps.forEach((entry, index) =>
      expect(entry).toMatchObject({ model: calls[index]!.model, inputTokens: calls[index]!.inputTokens, outputTokens: calls[index]!.outputTokens }),
    );
    calls.forEach((entry, index) => {
      const call = answered[index]!;
      expect(entry).toMatchObject({ model: call.model, inputTokens: call.inputTokens, outputTokens: call.outputTokens });
      expect(entry.model).toBe('claude-sonnet-4-6');
      expect(entry.costUsd).toBeCloseTo((call.inputTokens * PRICE.input + call.outputTokens * PRICE.output) / 1_000_000, 12);
      expect(entry.latencyMs).toBeGreaterThan(0);
      expect(entry.promptHash).toMatch(/^[0-9a-f]{64}$/);
    });

    // The 429 was retried by the provider inside the one call: recorded as two attempts, one step run.
    const opened = await openEventStore(store);
    const recorded = await opened.readStream(workflowStream('heron-1')).finally(() => opened.close());
    const extract = recorded.filter((record) => record.type === 'StepCompleted' && (record.data as { step: string }).step === 'extract');
    expect(extract.map((record) => record.data as { attempt: number; llm: { attempts: number } }).map(({ attempt, llm }) => [attempt, llm.attempts])).toEqual([
      [1, 2],
    ]);

    const outputs: [string, CliRun][] = [
      ['run', run],
      ['audit', audit],
    ];
    for (const [command, { stdout, stderr }] of outputs) {
      for (const secret of [API_KEY, INSTRUCTIONS, DOCUMENT, SYSTEM_PROMPT]) {
        expect(stdout, `${command} stdout`).not.toContain(secret);
        expect(stderr, `${command} stderr`).not.toContain(secret);
      }
      for (const completion of COMPLETIONS) expect(stderr, `${command} stderr`).not.toContain(completion);
    }
    // The run prints no model output; the audit shows the recorded outputs (previews, verdicts,
    // feedback) in those fields only: it is the audit trail, not a log.
    for (const completion of COMPLETIONS) expect(run.stdout).not.toContain(completion);
    const withoutOutputs = JSON.stringify(entries.map(({ summary: _summary, feedback: _feedback, verdict: _verdict, ...rest }) => rest));
    for (const completion of COMPLETIONS) expect(withoutOutputs).not.toContain(completion);
    // Nor is the key ever recorded, in the events or the read models (WAL files included).
    const files = readdirSync(dir).filter((name) => name.startsWith('x.'));
    expect(files).toContain('x.db');
    for (const name of files) expect(readFileSync(join(dir, name)).includes(API_KEY), name).toBe(false);
  });
});
