import { describe, expect, it } from 'vitest';
import { isEventNotAccepted, type WorkflowEvent } from '../../src/machines/index.js';
import { ev, workflowSpec } from '../../src/testing/index.js';
import { brief } from '../support/definitions.js';

const spec = workflowSpec(brief);
const input = { instructions: 'Summarise the findings', documents: [{ name: 'a.md', text: 'Fact one.' }] };
const llm = { model: 'm', inputTokens: 100, outputTokens: 20, costUsd: 0.01, latencyMs: 5, promptHash: 'p', attempts: 1 };
const fetched = ev.callCompleted('extract', 1, 'fetch a.md', 0, { output: 'Fact one.' });
const noted = ev.callCompleted('extract', 1, 'complete#1', 1, { output: { text: '- fact' } }, 1, { kind: 'complete', llm });
const extracting = [spec.started(input), ev.stepStarted('extract')];

/** The given history must be refused by the machine at its last event. */
const refused = (...history: WorkflowEvent[]) => {
  let error: unknown;
  try {
    spec.given(...history);
  } catch (caught) {
    error = caught;
  }
  expect(isEventNotAccepted(error), `${JSON.stringify(history.at(-1))} should be refused`).toBe(true);
};

describe("journaled calls in the machine: given events, when a call's outcome, then recorded events", () => {
  it('a call recorded while its step runs decides nothing: the step stays running and its journal grows', () => {
    const settled = spec
      .given(...extracting)
      .whenRecorded(fetched)
      .then([fetched]);
    expect(settled.next).toEqual({ kind: 'inFlight', step: 'extract', iteration: 1, attempt: 1 });
    expect(settled.snapshot.value).toEqual({ extract: 'running' });
    expect(settled.snapshot.context.calls).toEqual([{ call: 'fetch a.md', kind: 'run', seq: 0, attempt: 1, output: 'Fact one.' }]);
  });

  it("a model call's accounting is kept with the call but not added to the usage: the step's outcome counts it, once", () => {
    const given = spec.given(...extracting, fetched, noted);
    expect(given.snapshot.context.usage).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(given.snapshot.context.calls[1]).toMatchObject({ call: 'complete#1', kind: 'complete', llm });
    const done = given
      .whenRecorded(ev.stepCompleted('extract', 1, '- fact', 1, { llm }))
      .then([ev.stepCompleted('extract', 1, '- fact', 1, { llm }), ev.stepStarted('draft')]);
    expect(done.snapshot.context.usage).toEqual({ inputTokens: 100, outputTokens: 20, costUsd: 0.01 });
  });

  it('when resumed after a crash, the step runs again as attempt 2 and keeps the journal its calls replay from', () => {
    const settled = spec
      .given(...extracting, fetched)
      .whenResumed()
      .then([ev.stepStarted('extract', 1, 2)]);
    expect(settled.snapshot.context.calls.map((call) => `${call.call}#${call.attempt}`)).toEqual(['fetch a.md#1']);
    // Attempt 2 records its own calls at the next positions.
    const next = ev.callCompleted('extract', 1, 'complete#1', 1, { output: { text: '- fact' } }, 2, { kind: 'complete' });
    spec
      .given(...extracting, fetched, ev.stepStarted('extract', 1, 2))
      .whenRecorded(next)
      .then([next]);
  });

  it("the step's outcome clears the journal, failed or completed; the next step and a revision start empty", () => {
    expect(spec.given(...extracting, fetched, ev.stepCompleted('extract', 1, '- fact')).snapshot.context.calls).toEqual([]);
    expect(spec.given(...extracting, fetched, ev.stepFailed('extract', 1)).snapshot.context.calls).toEqual([]);
    const drafted = [
      ...extracting,
      ev.stepCompleted('extract', 1, 'f'),
      ev.stepStarted('draft'),
      ev.callCompleted('draft', 1, 'complete#1', 0, { output: { text: 'd1' } }, 1, { kind: 'complete' }),
    ];
    const revised = spec
      .given(...drafted, ev.stepCompleted('draft', 1, 'd1'), ev.stepStarted('review'))
      .whenRecorded(ev.stepCompleted('review', 1, { verdict: 'revise', feedback: 'again' }))
      .then([ev.stepCompleted('review', 1, { verdict: 'revise', feedback: 'again' }), ev.revision('draft', 'review', 1, 'again'), ev.stepStarted('draft', 2)]);
    expect(revised.snapshot.context.calls).toEqual([]);
  });

  it('a recorded failure is part of the journal like a result', () => {
    const failed = ev.callCompleted('extract', 1, 'fetch a.md', 0, { error: { code: 'HTTP_404', message: 'gone', retryable: false } });
    expect(spec.given(...extracting, failed).snapshot.context.calls).toEqual([
      { call: 'fetch a.md', kind: 'run', seq: 0, attempt: 1, error: { code: 'HTTP_404', message: 'gone', retryable: false } },
    ]);
  });

  it('refuses a call at a position or under a name already recorded, of another attempt, step or iteration, with neither or both outcomes, or when no step runs', () => {
    refused(...extracting, fetched, ev.callCompleted('extract', 1, 'other', 0, { output: 1 }));
    refused(...extracting, fetched, ev.callCompleted('extract', 1, 'fetch a.md', 1, { output: 1 }));
    refused(...extracting, ev.callCompleted('extract', 1, 'x', 0, { output: 1 }, 2));
    refused(...extracting, ev.stepStarted('extract', 1, 2), ev.callCompleted('extract', 1, 'late', 0, { output: 1 }, 1));
    refused(...extracting, ev.callCompleted('draft', 1, 'x', 0, { output: 1 }));
    refused(...extracting, ev.callCompleted('extract', 2, 'x', 0, { output: 1 }));
    refused(...extracting, { type: 'CallCompleted', data: { v: 1, step: 'extract', iteration: 1, attempt: 1, call: 'x', kind: 'run', seq: 0 } });
    refused(...extracting, {
      type: 'CallCompleted',
      data: {
        v: 1,
        step: 'extract',
        iteration: 1,
        attempt: 1,
        call: 'x',
        kind: 'run',
        seq: 0,
        output: 1,
        error: { code: 'E', message: 'e', retryable: false },
      },
    });
    refused(spec.started(input), ev.callCompleted('extract', 1, 'x', 0, { output: 1 }));
    refused(...extracting, ev.stepCompleted('extract', 1, 'f'), ev.callCompleted('extract', 1, 'x', 0, { output: 1 }));
    refused(...extracting, ev.cancelled('stop'), ev.callCompleted('extract', 1, 'x', 0, { output: 1 }));
  });
});
