import { describe, expect, it } from 'vitest';
import type { WorkflowEvent } from '../../src/machines/index.js';
import { statusOfEvents } from '../../src/projections/index.js';

/** A workflow's events as the engine publishes them, from its start. */
function statusAfter(...events: WorkflowEvent[]) {
  const all: WorkflowEvent[] = [
    { type: 'WorkflowStarted', data: { v: 1, definition: 'batch', version: 1, workflowId: 'w', input: {}, inputHash: 'h' } } as WorkflowEvent,
    ...events,
  ];
  return statusOfEvents(
    all.map((event, revision) => ({
      workflowId: 'w',
      revision,
      event,
      metadata: { workflowId: 'w', definition: 'batch', version: 1, sender: 'system', at: '2030-01-01T00:00:00.000Z' },
    })),
  )?.progress;
}

const started = (attempt = 1, iteration = 1): WorkflowEvent => ({
  type: 'StepStarted',
  data: { v: 1, step: 'fan', iteration, attempt, idempotencyKey: `k${attempt}` },
});
let seq = 0;
const item = (fanOut: string, index: number, items: number, options: { attempt?: number; error?: boolean; iteration?: number } = {}): WorkflowEvent =>
  ({
    type: 'CallCompleted',
    data: {
      v: 1,
      step: 'fan',
      iteration: options.iteration ?? 1,
      attempt: options.attempt ?? 1,
      call: `${fanOut}/${index}`,
      kind: 'run',
      seq: seq++,
      fanOut: { name: fanOut, items },
      ...(options.error === true ? { error: { code: 'BUSY', message: 'busy', retryable: true } } : { output: index }),
    },
  }) as WorkflowEvent;

describe('a fan-out’s progress in the status', () => {
  it('counts each item once, also the item a step retry runs again after its retryable failure', () => {
    // Items 0 and 1 done, item 2 fails the attempt; the retry replays 0 and 1 and runs 2 again, then 3.
    expect(
      statusAfter(
        started(1),
        item('doc', 0, 5),
        item('doc', 1, 5),
        item('doc', 2, 5, { error: true }),
        {
          type: 'StepFailed',
          data: { v: 1, step: 'fan', iteration: 1, attempt: 1, error: { code: 'BUSY', message: 'busy', retryable: true }, retryAt: '2030-01-01T00:00:01.000Z' },
        } as WorkflowEvent,
        started(2),
        item('doc', 3, 5, { attempt: 2 }),
        item('doc', 2, 5, { attempt: 2 }),
      ),
    ).toEqual({ step: 'fan', fanOut: 'doc', done: 4, of: 5 });
  });

  it('counts two fan-outs of one step apart, and shows the one that moved last', () => {
    expect(statusAfter(started(), item('a', 0, 3), item('b', 0, 2), item('a', 1, 3), item('b', 1, 2), item('a', 2, 3))).toEqual({
      step: 'fan',
      fanOut: 'a',
      done: 3,
      of: 3,
    });
  });

  it('starts again with a new iteration of the step (a revision)', () => {
    expect(statusAfter(started(), item('doc', 0, 2), item('doc', 1, 2), started(1, 2), item('doc', 0, 2, { iteration: 2 }))).toEqual({
      step: 'fan',
      fanOut: 'doc',
      done: 1,
      of: 2,
    });
  });
});
