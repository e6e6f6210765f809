import { describe, expect, it } from 'vitest';
import { briefInput, createHarness, types } from '../actors/support/harness.js';
import type { LlmScript } from '../../src/llm/index.js';

/** A reviewer that always asks for a revision; every other call answered by the offline model. */
const alwaysRevise: LlmScript = { steps: { review: [{ output: { verdict: 'revise', feedback: 'Still too long.' } }] }, fallback: 'offline' };

describe('brief: iteration cap with a reviewer that always says revise (maxIterations 2)', () => {
  it('fail → failed, with the cap in the audit trail', async () => {
    const h = createHarness({ script: alwaysRevise });
    await h.engine.start('brief', briefInput({ maxIterations: 2, onCap: 'fail' }), { id: 'b1' });
    const view = await h.engine.settled('b1');
    expect(view).toMatchObject({ status: 'failed', reason: '"review" still asked for a revision after 2 iterations (cap 2)' });
    const events = await h.events('b1');
    expect(types(events).slice(-3)).toEqual(['StepCompleted', 'IterationCapReached', 'WorkflowFailed']);
    expect(events.at(-2)).toEqual({ type: 'IterationCapReached', data: { v: 1, step: 'review', iterations: 2, maxIterations: 2, policy: 'fail' } });
    expect(h.llm.calls.filter((call) => call.step === 'review')).toHaveLength(2);
    expect(h.artifacts.files.size).toBe(0);
  });

  it('accept → completed with the last draft', async () => {
    const h = createHarness({ script: alwaysRevise });
    await h.engine.start('brief', briefInput({ maxIterations: 2, onCap: 'accept' }), { id: 'b1' });
    expect(await h.engine.settled('b1')).toMatchObject({ status: 'completed' });
    const events = await h.events('b1');
    expect(types(events)).toContain('IterationCapReached');
    const drafts = events.filter((event) => event.type === 'StepCompleted' && event.data.step === 'draft');
    const lastDraft = drafts.at(-1);
    expect(lastDraft?.type === 'StepCompleted' && lastDraft.data.iteration).toBe(2);
    expect(h.artifacts.files.get('b1/brief.md')).toBe(`${lastDraft?.type === 'StepCompleted' ? String(lastDraft.data.output) : ''}\n`);
  });

  it('escalate → waiting; APPROVE completes it', async () => {
    const h = createHarness({ script: alwaysRevise });
    await h.engine.start('brief', briefInput({ maxIterations: 2 }), { id: 'b1' });
    const waiting = await h.engine.settled('b1');
    expect(waiting).toMatchObject({
      status: 'waiting',
      state: 'review.waiting',
      waitingFor: { step: 'review', kind: 'cap' },
      accepts: ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL'],
    });
    expect(types(await h.events('b1')).slice(-2)).toEqual(['IterationCapReached', 'HumanInputRequested']);
    expect(await h.engine.send('b1', { type: 'APPROVE' }, { sender: 'key-1' })).toMatchObject({
      accepted: true,
      event: { type: 'HumanDecisionReceived', data: { decision: 'approve' } },
    });
    expect(await h.engine.settled('b1')).toMatchObject({ status: 'completed' });
    expect(h.artifacts.files.has('b1/brief.md')).toBe(true);
  });

  it('escalate → waiting; REQUEST_REVISION grants exactly one more round', async () => {
    const h = createHarness({ script: alwaysRevise });
    await h.engine.start('brief', briefInput({ maxIterations: 2 }), { id: 'b1' });
    await h.engine.settled('b1');
    expect(await h.engine.send('b1', { type: 'REQUEST_REVISION', feedback: 'Cut it to five bullets.' })).toMatchObject({ accepted: true });
    const again = await h.engine.settled('b1');
    expect(again).toMatchObject({ status: 'waiting', state: 'review.waiting', iteration: 3 });
    const events = await h.events('b1');
    const caps = events
      .filter((event) => event.type === 'IterationCapReached')
      .map((event) => event.type === 'IterationCapReached' && event.data.maxIterations);
    expect(caps).toEqual([2, 3]);
    const third = events.find((event) => event.type === 'RevisionRequested' && event.data.by === 'human');
    expect(third).toMatchObject({ data: { step: 'draft', iteration: 2, feedback: 'Cut it to five bullets.' } });
    expect(h.llm.calls.map((call) => `${call.step}/${call.iteration}`)).toEqual([
      'extract/1',
      'draft/1',
      'review/1',
      'draft/2',
      'review/2',
      'draft/3',
      'review/3',
    ]);
    expect(await h.engine.send('b1', { type: 'REJECT', reason: 'Give up' })).toMatchObject({ accepted: true });
    expect(await h.engine.settled('b1')).toMatchObject({ status: 'failed', reason: 'Rejected by a person at "review"' });
  });

  it('the approval gate waits after an approving review; REQUEST_REVISION redrafts, APPROVE loads', async () => {
    const h = createHarness();
    await h.engine.start('brief', briefInput({ approval: true }), { id: 'b1' });
    expect(await h.engine.settled('b1')).toMatchObject({ state: 'approval.waiting', waitingFor: { kind: 'approval' } });
    await h.engine.send('b1', { type: 'REQUEST_REVISION', feedback: 'Add a title.' });
    expect(await h.engine.settled('b1')).toMatchObject({ state: 'approval.waiting' });
    const drafts = (await h.events('b1')).filter((event) => event.type === 'StepCompleted' && event.data.step === 'draft');
    expect(drafts).toHaveLength(3);
    await h.engine.send('b1', { type: 'APPROVE' });
    expect(await h.engine.settled('b1')).toMatchObject({ status: 'completed' });
  });
});
