/**
 * Writes the golden histories of test/fixtures/projections/ (run once: `npx tsx test/projections/support/writeGoldens.ts`).
 * Golden files are never regenerated to make a test pass: a change that breaks one needs an upcaster.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventToAppend, JsonObject } from '../../../src/eventstore/index.js';
import { brief } from '../../support/definitions.js';
import { driveHistory, usage, type Outcome } from './driveHistory.js';

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'projections');
const documents = [{ name: 'q3.txt', text: 'Revenue grew 12% in Q3. Churn fell to 2%.' }];
const artifact = (workflowId: string) => ({ hash: 'b'.repeat(64), bytes: 120, preview: '# Q3 brief', path: `${workflowId}/brief.md` });

const write = (name: string, description: string, workflowId: string, events: EventToAppend[]) => {
  const last = events.at(-1)?.metadata as JsonObject;
  const golden = {
    description,
    workflowId,
    definition: 'brief',
    version: 1,
    finalState: JSON.parse(String(last.state)),
    lastRevision: events.length - 1,
    events,
  };
  writeFileSync(join(dir, name), `${JSON.stringify(golden, null, 2)}\n`);
};

const reviseOnce = driveHistory(
  brief,
  'golden-revise-once',
  { instructions: 'A one-page brief on Q3', documents, maxIterations: 3 },
  {
    outcome: (step, iteration): Outcome => {
      if (step === 'extract') return { output: '- revenue +12%\n- churn 2%', llm: usage('claude-sonnet-4-5', 820, 40) };
      if (step === 'draft') return { output: `# Q3 brief (draft ${iteration})`, llm: usage('claude-sonnet-4-5', 1200, 400 + iteration) };
      if (step === 'review')
        return iteration === 1
          ? { output: { verdict: 'revise', feedback: 'Quote the churn figure.' }, llm: usage('claude-haiku-4-5', 1500, 30) }
          : { output: { verdict: 'approve', feedback: 'Good.' }, llm: usage('claude-haiku-4-5', 1520, 12) };
      return { output: { artifact: 'golden-revise-once/brief.md' }, artifact: artifact('golden-revise-once') };
    },
  },
);
write('brief-v1-revise-once.json', 'brief v1: one revision requested by review, then approved and loaded', 'golden-revise-once', reviseOnce);

const escalated = driveHistory(
  brief,
  'golden-cap-escalate',
  { instructions: 'A one-page brief on Q3', documents, maxIterations: 2, onCap: 'escalate' },
  {
    outcome: (step, iteration): Outcome => {
      if (step === 'review') return { output: { verdict: 'revise', feedback: `Still too long (${iteration}).` }, llm: usage('claude-haiku-4-5', 1500, 25) };
      if (step === 'load') return { output: { artifact: 'golden-cap-escalate/brief.md' }, artifact: artifact('golden-cap-escalate') };
      return { output: `${step} ${iteration}`, llm: usage('claude-sonnet-4-5', 900, 300) };
    },
    decide: () => ({ decision: 'approve', feedback: 'Length is fine for this audience.', sender: 'key-ops' }),
  },
);
write(
  'brief-v1-cap-escalated.json',
  'brief v1: review never approves; cap of 2 reached with policy escalate; a person approves the last draft',
  'golden-cap-escalate',
  escalated,
);

const cancelled = driveHistory(
  brief,
  'golden-cancelled',
  { instructions: 'A one-page brief on Q3', documents, approval: true },
  {
    outcome: (step): Outcome =>
      step === 'review'
        ? { output: { verdict: 'approve', feedback: 'Fine.' }, llm: usage('claude-haiku-4-5', 1400, 10) }
        : { output: `${step} output`, llm: usage('claude-sonnet-4-5', 700, 200) },
    decide: () => ({ cancel: 'Superseded by the Q4 brief', sender: 'key-ops' }),
  },
);
write('brief-v1-cancelled-at-approval.json', 'brief v1 with an approval gate: cancelled while waiting for approval', 'golden-cancelled', cancelled);

/** The payload shapes before `v` existed: StepCompleted said `result` and `usage{tokensIn,tokensOut}`, RevisionRequested had no verdict. */
const legacy = driveHistory(
  brief,
  'golden-legacy',
  { instructions: 'A one-page brief on Q3', documents, maxIterations: 3 },
  {
    outcome: (step, iteration): Outcome => {
      if (step === 'review')
        return iteration === 1
          ? { output: { verdict: 'revise', feedback: 'Add a title.' }, llm: usage('claude-2', 1000, 20) }
          : { output: { verdict: 'approve', feedback: 'OK.' }, llm: usage('claude-2', 1000, 10) };
      if (step === 'load') return { output: { artifact: 'golden-legacy/brief.md' }, artifact: artifact('golden-legacy') };
      return { output: `${step} ${iteration}`, llm: usage('claude-2', 800, 200) };
    },
  },
).map((event): EventToAppend => {
  const { v: _v, ...data } = event.data as JsonObject;
  if (event.type === 'StepCompleted') {
    const { output, llm, attempt: _attempt, ...rest } = data;
    const accounting = llm as JsonObject | undefined;
    return {
      ...event,
      data: {
        ...rest,
        result: output ?? null,
        ...(accounting === undefined
          ? {}
          : {
              usage: {
                model: accounting.model,
                tokensIn: accounting.inputTokens,
                tokensOut: accounting.outputTokens,
                costUsd: accounting.costUsd,
                latencyMs: accounting.latencyMs,
                promptHash: accounting.promptHash,
              },
            }),
      } as JsonObject,
    };
  }
  if (event.type === 'RevisionRequested') {
    const { verdict: _verdict, ...rest } = data;
    return { ...event, data: rest };
  }
  return { ...event, data };
});
write(
  'brief-v1-legacy-payloads.json',
  'brief v1 written with v0 payloads (no `v`; StepCompleted `result`/`usage`; RevisionRequested without verdict): upcast on read',
  'golden-legacy',
  legacy,
);
