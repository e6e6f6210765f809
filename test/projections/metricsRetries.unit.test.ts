import { expect, it } from 'vitest';
import type { WorkflowEvent, WorkflowEventMetadata } from '../../src/machines/index.js';
import type { DecodedEvent } from '../../src/projections/decodeEvent.js';
import { metricsChangeOf } from '../../src/projections/metricsRules.js';

const llm = { model: 'm', inputTokens: 100, outputTokens: 10, costUsd: 0.5, latencyMs: 1, attempts: 1, promptHash: 'sha256:q' };
const metadata = { at: '2030-01-01T00:00:00.000Z', definition: 'd', version: 1, sender: 'system' } as unknown as WorkflowEventMetadata;
const decoded = (revision: number, event: WorkflowEvent): DecodedEvent => ({
  workflowId: 'w',
  revision,
  position: BigInt(revision),
  event,
  metadata,
  storedVersion: 1,
  recorded: {} as never,
});
const failed = (attempt: number, retryAt?: string): WorkflowEvent =>
  ({
    type: 'StepFailed',
    data: {
      v: 1,
      step: 's',
      iteration: 1,
      attempt,
      error: { code: 'BUSY', message: 'busy', retryable: true },
      llm,
      ...(retryAt === undefined ? {} : { retryAt }),
    },
  }) as WorkflowEvent;

it("counts a step's model usage from its iteration's outcome, not again from an attempt it retried (whose calls the outcome totals)", () => {
  const noStart = () => undefined;
  // Attempt 1 failed and is retried: its StepFailed totals what the iteration spent so far, which the outcome totals again.
  expect(metricsChangeOf(decoded(3, failed(1, '2030-01-01T00:00:05.000Z')), noStart)).toBeUndefined();
  // The last attempt failed for good: the iteration's outcome, counted.
  expect(metricsChangeOf(decoded(5, failed(2)), noStart)).toMatchObject({ kind: 'step' });
  const completed = { type: 'StepCompleted', data: { v: 1, step: 's', iteration: 1, attempt: 2, output: 'x', llm, durationMs: 5 } } as WorkflowEvent;
  expect(metricsChangeOf(decoded(5, completed), noStart)).toMatchObject({ kind: 'step' });
});
