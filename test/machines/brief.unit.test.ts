import { describe, expect, it } from 'vitest';
import { nextStep } from '../../src/machines/index.js';
import { brief } from '../support/definitions.js';
import { ev, workflowSpec } from '../../src/testing/index.js';

const spec = workflowSpec(brief);
const input = (extra: Record<string, unknown> = {}) => ({ instructions: 'Summarise the findings', documents: [{ name: 'a.md', text: 'Fact one.' }], ...extra });
const revise = { verdict: 'revise', feedback: 'Lead with the conclusion.' };
const approve = { verdict: 'approve', feedback: 'Good.' };

/** A brief that reached its second review, whose reviewer said revise again. */
const atSecondRevise = (extra: Record<string, unknown>) => [
  spec.started(input({ maxIterations: 2, ...extra })),
  ev.stepStarted('extract'),
  ev.stepCompleted('extract', 1, '- fact'),
  ev.stepStarted('draft'),
  ev.stepCompleted('draft', 1, 'draft 1'),
  ev.stepStarted('review'),
  ev.stepCompleted('review', 1, revise),
  ev.revision('draft', 'review', 1, revise.feedback),
  ev.stepStarted('draft', 2),
  ev.stepCompleted('draft', 2, 'draft 2'),
  ev.stepStarted('review', 2),
];

describe('brief machine: given events, when a command or outcome, then recorded events', () => {
  it('starting records WorkflowStarted with the resolved policies, then starts extract', () => {
    const { settled } = spec.whenStarted(input());
    expect(settled.events[0]).toMatchObject({
      type: 'WorkflowStarted',
      data: { definition: 'brief', version: 1, policies: { loops: { review: { maxIterations: 3, onCap: 'escalate' } }, approvals: { approval: false } } },
    });
    expect(settled.events.slice(1)).toEqual([ev.stepStarted('extract')]);
  });

  it('a completed step starts the next one in the same append', () => {
    spec
      .given(spec.started(input()), ev.stepStarted('extract'))
      .whenRecorded(ev.stepCompleted('extract', 1, '- fact'))
      .then([ev.stepCompleted('extract', 1, '- fact'), ev.stepStarted('draft')]);
  });

  it('a review asking for a revision under the cap records RevisionRequested and redrafts at iteration 2', () => {
    spec
      .given(
        spec.started(input()),
        ev.stepStarted('extract'),
        ev.stepCompleted('extract', 1, 'f'),
        ev.stepStarted('draft'),
        ev.stepCompleted('draft', 1, 'd1'),
        ev.stepStarted('review'),
      )
      .whenRecorded(ev.stepCompleted('review', 1, revise))
      .then([ev.stepCompleted('review', 1, revise), ev.revision('draft', 'review', 1, revise.feedback), ev.stepStarted('draft', 2)]);
  });

  it('an approving review without an approval gate goes straight to load, and load completes the workflow with its artifact', () => {
    const history = atSecondRevise({});
    spec
      .given(...history)
      .whenRecorded(ev.stepCompleted('review', 2, approve))
      .then([ev.stepCompleted('review', 2, approve), ev.stepStarted('load')]);
    const artifact = { hash: 'h', bytes: 8, preview: 'draft 2', path: '/tmp/brief.md' };
    spec
      .given(...history, ev.stepCompleted('review', 2, approve), ev.stepStarted('load'))
      .whenRecorded(ev.stepCompleted('load', 1, { path: '/tmp/brief.md' }, 1, { artifact }))
      .then([ev.stepCompleted('load', 1, { path: '/tmp/brief.md' }, 1, { artifact }), ev.completed({ path: '/tmp/brief.md' }, artifact)]);
  });

  describe('iteration cap (maxIterations 2, the reviewer always says revise)', () => {
    it('fail: records the cap, then WorkflowFailed', () => {
      spec
        .given(...atSecondRevise({ onCap: 'fail' }))
        .whenRecorded(ev.stepCompleted('review', 2, revise))
        .then([ev.stepCompleted('review', 2, revise), ev.cap('review', 2, 2, 'fail'), ev.failed(/still asked for a revision after 2 iterations/)]);
    });

    it('accept: records the cap, then moves on with the last draft', () => {
      spec
        .given(...atSecondRevise({ onCap: 'accept' }))
        .whenRecorded(ev.stepCompleted('review', 2, revise))
        .then([ev.stepCompleted('review', 2, revise), ev.cap('review', 2, 2, 'accept'), ev.stepStarted('load')]);
    });

    const escalated = [...atSecondRevise({ onCap: 'escalate' }), ev.stepCompleted('review', 2, revise), ev.cap('review', 2, 2, 'escalate')];

    it('escalate: records the cap, then waits for a person', () => {
      spec
        .given(...atSecondRevise({ onCap: 'escalate' }))
        .whenRecorded(ev.stepCompleted('review', 2, revise))
        .then([
          ev.stepCompleted('review', 2, revise),
          ev.cap('review', 2, 2, 'escalate'),
          ev.inputRequested('review', /after 2 iterations/, ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL']),
        ]);
    });

    const waiting = [...escalated, ev.inputRequested('review', 'x', ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL'])];

    it('escalate, then APPROVE: accepts the last draft and loads it', () => {
      spec.given(...waiting).thenState('review.waiting');
      spec
        .given(...waiting)
        .when({ type: 'APPROVE' })
        .then([ev.decision('review', 'approve'), ev.stepStarted('load')]);
    });

    it('escalate, then REQUEST_REVISION: grants one more round (draft 3, and a third review before the cap)', () => {
      const feedback = 'Shorter, please.';
      const settled = spec
        .given(...waiting)
        .when({ type: 'REQUEST_REVISION', feedback })
        .then([ev.decision('review', 'request_revision', feedback), ev.revision('draft', 'human', 2, feedback), ev.stepStarted('draft', 3)]);
      expect(settled.snapshot.context.feedback).toEqual({ draft: feedback });
      const third = [...waiting, ...settled.events, ev.stepCompleted('draft', 3, 'draft 3'), ev.stepStarted('review', 3)];
      spec
        .given(...third)
        .whenRecorded(ev.stepCompleted('review', 3, revise))
        .then([
          ev.stepCompleted('review', 3, revise),
          ev.cap('review', 3, 3, 'escalate'),
          ev.inputRequested('review', /after 3 iterations/, ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL']),
        ]);
    });

    it('escalate, then REJECT: fails the workflow', () => {
      spec
        .given(...waiting)
        .when({ type: 'REJECT', reason: 'Not usable' })
        .then([ev.decision('review', 'reject', 'Not usable'), ev.failed('Rejected by a person at "review"')]);
    });
  });

  describe('approval gate', () => {
    const approved = [...atSecondRevise({ approval: true }), ev.stepCompleted('review', 2, approve)];
    const gate = ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL'];

    it('an approved review opens the gate', () => {
      spec
        .given(...atSecondRevise({ approval: true }))
        .whenRecorded(ev.stepCompleted('review', 2, approve))
        .then([ev.stepCompleted('review', 2, approve), ev.inputRequested('approval', 'Approval required before continuing', gate)]);
    });

    it('APPROVE at the gate loads; REQUEST_REVISION sends the draft back', () => {
      const waiting = [...approved, ev.inputRequested('approval', 'Approval required before continuing', gate)];
      spec
        .given(...waiting)
        .when({ type: 'APPROVE' })
        .then([ev.decision('approval', 'approve'), ev.stepStarted('load')]);
      spec
        .given(...waiting)
        .when({ type: 'REQUEST_REVISION', feedback: 'Add a title' })
        .then([ev.decision('approval', 'request_revision', 'Add a title'), ev.revision('draft', 'human', 2, 'Add a title'), ev.stepStarted('draft', 3)]);
    });
  });

  describe('rejections leave nothing to record', () => {
    const running = [spec.started(input()), ev.stepStarted('extract')];

    it('a command not allowed now names the state and what it accepts', () => {
      spec
        .given(...running)
        .when({ type: 'APPROVE' })
        .thenRejected({ code: 'COMMAND_NOT_ALLOWED', state: 'extract.running', accepts: ['CANCEL'] });
    });

    it('an unknown command lists the commands', () => {
      spec
        .given(...running)
        .when({ type: 'PUBLISH' })
        .thenRejected({ code: 'UNKNOWN_COMMAND', message: /APPROVE, REJECT, REQUEST_REVISION, CANCEL/ });
    });

    it('an invalid command names the field', () => {
      spec
        .given(...running)
        .when({ type: 'REQUEST_REVISION' })
        .thenRejected({ code: 'INVALID_COMMAND', message: /feedback/ });
    });

    it('nothing is accepted once the workflow is cancelled', () => {
      const cancelled = [...running, ev.cancelled('stop')];
      spec.given(...cancelled).thenState('cancelled');
      spec
        .given(...cancelled)
        .when({ type: 'CANCEL', reason: 'again' })
        .thenRejected({ code: 'COMMAND_NOT_ALLOWED', state: 'cancelled', accepts: [] });
    });
  });

  it('CANCEL while a step runs records WorkflowCancelled and nothing else', () => {
    spec
      .given(spec.started(input()), ev.stepStarted('extract'))
      .when({ type: 'CANCEL', reason: 'not needed' })
      .then([ev.cancelled('not needed')]);
  });

  it('a failed step fails the workflow with its error', () => {
    spec
      .given(spec.started(input()), ev.stepStarted('extract'))
      .whenRecorded(ev.stepFailed('extract', 1, 'AUTHENTICATION'))
      .then([
        ev.stepFailed('extract', 1, 'AUTHENTICATION'),
        ev.failed('Step "extract" failed: AUTHENTICATION happened', { code: 'AUTHENTICATION', message: 'AUTHENTICATION happened', retryable: false }),
      ]);
  });

  describe('recovery decisions', () => {
    it('StepStarted without an outcome runs again with attempt + 1', () => {
      spec
        .given(spec.started(input()), ev.stepStarted('extract'), ev.stepCompleted('extract', 1, 'f'), ev.stepStarted('draft'))
        .whenResumed()
        .then([ev.stepStarted('draft', 1, 2)]);
    });

    it('a step with an outcome is never run again: resuming continues after it', () => {
      spec
        .given(spec.started(input()), ev.stepStarted('extract'), ev.stepCompleted('extract', 1, 'f'))
        .whenResumed()
        .then([ev.stepStarted('draft')]);
    });

    it('the outcome of a superseded attempt is not accepted', () => {
      const { snapshot } = spec.given(spec.started(input()), ev.stepStarted('extract'), ev.stepStarted('extract', 1, 2));
      expect(snapshot.can(ev.stepCompleted('extract', 1, 'late', 1))).toBe(false);
      expect(snapshot.can(ev.stepCompleted('extract', 1, 'fresh', 2))).toBe(true);
    });

    it('a recorded due time that passed while nobody ran fires as a timeout', () => {
      const timed = workflowSpec(brief, { now: '2030-01-01T00:01:00.000Z' });
      timed
        .given(timed.started(input()), ev.stepStarted('extract', 1, 1, 'wf-1', '2030-01-01T00:00:30.000Z'))
        .whenResumed()
        .then([
          {
            type: 'StepFailed',
            data: {
              v: 1,
              step: 'extract',
              iteration: 1,
              attempt: 1,
              error: { code: 'STEP_TIMEOUT', message: 'Step "extract" did not finish by 2030-01-01T00:00:30.000Z', retryable: false },
            },
          },
          ev.failed(/did not finish/, { code: 'STEP_TIMEOUT', message: 'Step "extract" did not finish by 2030-01-01T00:00:30.000Z', retryable: false }),
        ]);
      const early = timed.given(timed.started(input()), ev.stepStarted('extract', 1, 1, 'wf-1', '2030-01-01T00:05:00.000Z')).snapshot;
      expect(nextStep(early, '2030-01-01T00:01:00.000Z')).toMatchObject({ kind: 'activity', step: 'extract', attempt: 2 });
    });
  });
});
