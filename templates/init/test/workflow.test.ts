import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestEngine, ev, workflowSpec } from 'ecl-workflows/testing';
import { explain } from '../src/workflows.js';

describe('explain, end to end on a test engine', () => {
  it('completes after one revision with the offline model', async () => {
    // In-memory store and artifacts; the deterministic offline model asks for one revision, then approves.
    const ecl = createTestEngine({ definitions: [explain] });
    try {
      const view = await ecl.run(explain, { topic: 'event sourcing' });
      assert.equal(view.status, 'completed');
      const history = await ecl.history(view.workflowId);
      const revisions = history.filter((event) => event.type === 'RevisionRequested');
      assert.equal(revisions.length, 1);
      assert.match(ecl.artifacts.files.get(`${view.workflowId}/explanation.md`) ?? '', /^# event sourcing/);
    } finally {
      await ecl.close();
    }
  });
});

describe('explain, given recorded events, when an outcome arrives, then these events are recorded', () => {
  const spec = workflowSpec(explain);
  const input = { topic: 'event sourcing' };
  const revise = { verdict: 'revise', feedback: 'Start with an example.' };
  const approve = { verdict: 'approve', feedback: 'Clear.' };
  const firstReview = [spec.started(input), ev.stepStarted('draft'), ev.stepCompleted('draft', 1, 'Draft one.'), ev.stepStarted('review')];

  it('a review asking for a revision sends the draft back with its feedback', () => {
    spec
      .given(...firstReview)
      .whenRecorded(ev.stepCompleted('review', 1, revise))
      .then([ev.stepCompleted('review', 1, revise), ev.revision('draft', 'review', 1, revise.feedback), ev.stepStarted('draft', 2)]);
  });

  it('an approving review moves on to publish', () => {
    spec
      .given(...firstReview)
      .whenRecorded(ev.stepCompleted('review', 1, approve))
      .then([ev.stepCompleted('review', 1, approve), ev.stepStarted('publish')]);
  });
});
