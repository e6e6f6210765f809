import { describe, expect, it } from 'vitest';
import type { EngineEvent, WorkflowView } from '../../src/actors/index.js';
import { summarize } from '../../src/cli/followWorkflow.js';
import { formatTransition } from '../../src/cli/formatTransition.js';
import type { WorkflowEvent } from '../../src/machines/index.js';

const transition = (event: WorkflowEvent): Extract<EngineEvent, { kind: 'transition' }> => ({
  kind: 'transition',
  workflowId: 'w',
  revision: 1,
  eventId: 'e',
  event,
  metadata: { workflowId: 'w', definition: 'brief', version: 1, sender: 'key-1', at: 'x' },
  state: 'x',
  status: 'running',
});
const llm = { model: 'm', inputTokens: 1200, outputTokens: 34, costUsd: 0.0123, latencyMs: 2500, attempts: 1, promptHash: 'p' };

describe('--follow lines', () => {
  it('show step, iteration, verdict, feedback, tokens, cost and latency, aligned', () => {
    expect(
      formatTransition(
        transition({
          type: 'StepCompleted',
          data: { v: 1, step: 'review', iteration: 2, attempt: 1, output: { verdict: 'revise', feedback: 'Shorter.' }, llm },
        }),
      ),
    ).toBe('  review     #2  revise       "Shorter."  1,234 tok  $0.0123  2.5s');
    // A step's time is its own wall time when recorded: a fan-out's model calls overlap, and their summed latency is more.
    expect(
      formatTransition(
        transition({
          type: 'StepCompleted',
          data: { v: 1, step: 'process', iteration: 1, attempt: 1, output: [1, 2], llm: { ...llm, latencyMs: 21_700 }, durationMs: 7_500 },
        }),
      ),
    ).toBe('  process    #1  done         1,234 tok  $0.0123  7.5s');
    expect(formatTransition(transition({ type: 'StepStarted', data: { v: 1, step: 'draft', iteration: 1, attempt: 2, idempotencyKey: 'k' } }))).toBe(
      '  draft      #1  started      attempt 2 (the previous one has no outcome)',
    );
    expect(
      formatTransition(transition({ type: 'HumanDecisionReceived', data: { v: 1, step: 'review', decision: 'request_revision', feedback: 'More data' } })),
    ).toBe('  review         request revision "More data" (by key-1)');
    expect(formatTransition(transition({ type: 'WorkflowFailed', data: { v: 1, reason: 'cap' } }))).toBe('  workflow       failed       cap');
  });
});

describe('closing summary and exit code', () => {
  const view = (status: WorkflowView['status'], extra: Partial<WorkflowView> = {}): WorkflowView =>
    ({
      workflowId: 'w',
      definition: 'brief',
      version: 1,
      status,
      state: status,
      value: status,
      revision: 3,
      accepts: [],
      output: null,
      reason: null,
      usage: { inputTokens: 10, outputTokens: 5, costUsd: 0 },
      context: {} as never,
      ...extra,
    }) as WorkflowView;
  it('completed → 0 with the artifact; failed, cancelled and waiting → 1', () => {
    expect(summarize(view('completed', { output: { path: '/a/brief.md' } }), 'ecl send')).toEqual({
      lines: ['Completed w (15 tokens, $0.0000)', 'Artifact: /a/brief.md'],
      exitCode: 0,
    });
    expect(summarize(view('failed', { reason: 'no' }), 'ecl send').exitCode).toBe(1);
    expect(summarize(view('cancelled'), 'ecl send').exitCode).toBe(1);
    const waiting = summarize(
      view('waiting', { state: 'review.waiting', accepts: ['APPROVE', 'CANCEL'], waitingFor: { step: 'review', kind: 'cap' } }),
      'ecl send',
    );
    expect(waiting).toEqual({ lines: ['Waiting for a person at review.waiting (cap): APPROVE, CANCEL', '  e.g. ecl send w APPROVE'], exitCode: 1 });
  });
});
