import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRegistry, defineWorkflow, events, type StepContext } from '../../src/machines/index.js';
import { createHarness, types } from './support/harness.js';

// Every model call costs 100 + 50 tokens and $0.01.
const answer = (text: string) => ({ text, usage: { inputTokens: 100, outputTokens: 50 }, costUsd: 0.01 });
const script = { steps: { outline: [answer('An outline.')], write: [answer('A report.')], publish: [answer('Published.')] } };

const ask = (prompt: string) => async (ctx: StepContext<unknown>) => (await ctx.complete({ messages: [{ role: 'user', content: prompt }] })).text;
const steps = [
  { kind: 'produce', name: 'outline', run: ask('Outline the report.') },
  { kind: 'produce', name: 'write', run: ask('Write the report.') },
  { kind: 'produce', name: 'publish', run: ask('Publish the report.') },
] as const;

/** The budget in the definition. */
const capped = defineWorkflow({ name: 'capped', version: 1, input: z.object({}), budget: { maxCostUsd: 0.015, onExceed: 'fail' }, steps });
/** The budget in the input. */
const report = defineWorkflow({ name: 'report', version: 1, input: z.object({ budget: events.Budget.optional() }), budget: (input) => input.budget, steps });

const harness = () => createHarness({ script, definitions: createRegistry([capped, report]) });
const tokenBudget = { budget: { maxTokens: 200, onExceed: 'escalate' } };

describe('budgets at runtime', () => {
  it('fail: crossing the cost budget records BudgetExceeded with the figures and fails the workflow; no further call is made', async () => {
    const h = harness();
    await h.engine.start('capped', {}, { id: 'c1' });
    const view = await h.engine.settled('c1');
    expect(view).toMatchObject({
      status: 'failed',
      reason: 'Budget exceeded after "write" (300 tokens, $0.0200)',
      usage: { inputTokens: 200, outputTokens: 100, costUsd: 0.02 },
    });

    const recorded = await h.events('c1');
    expect(types(recorded)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'CallCompleted',
      'StepCompleted',
      'StepStarted',
      'CallCompleted',
      'StepCompleted',
      'BudgetExceeded',
      'WorkflowFailed',
    ]);
    expect(recorded[7]).toEqual({ type: 'BudgetExceeded', data: { v: 1, step: 'write', limit: 'costUsd', max: 0.015, used: 0.02, policy: 'fail' } });
    expect(h.llm.calls.map((call) => call.step)).toEqual(['outline', 'write']);
  });

  it('escalate: crossing the token budget waits for a person, naming the figures and the commands', async () => {
    const h = harness();
    await h.engine.start('report', tokenBudget, { id: 'r1' });
    const view = await h.engine.settled('r1');
    expect(view).toMatchObject({ status: 'waiting', waitingFor: { step: 'write', kind: 'budget' }, accepts: ['APPROVE', 'REJECT', 'CANCEL'] });

    const recorded = await h.events('r1');
    expect(types(recorded).slice(-2)).toEqual(['BudgetExceeded', 'HumanInputRequested']);
    expect(recorded.at(-2)).toEqual({ type: 'BudgetExceeded', data: { v: 1, step: 'write', limit: 'tokens', max: 200, used: 300, policy: 'escalate' } });
    expect(recorded.at(-1)).toMatchObject({
      data: { step: 'write', reason: 'The budget is exceeded (300 tokens, $0.0200): approve to continue without a limit, or reject' },
    });
    expect(h.llm.calls.map((call) => call.step)).toEqual(['outline', 'write']);

    const revision = await h.engine.send('r1', { type: 'REQUEST_REVISION', feedback: 'shorter' });
    expect(revision).toMatchObject({ accepted: false, code: 'COMMAND_NOT_ALLOWED' });
  });

  it('escalate, then APPROVE: the workflow continues without a limit and completes', async () => {
    const h = harness();
    await h.engine.start('report', tokenBudget, { id: 'r2' });
    await h.engine.settled('r2');
    expect(await h.engine.send('r2', { type: 'APPROVE' }, { sender: 'reviewer' })).toMatchObject({ accepted: true });

    const view = await h.engine.settled('r2');
    expect(view).toMatchObject({ status: 'completed', output: 'Published.', usage: { inputTokens: 300, outputTokens: 150 } });
    const recorded = await h.events('r2');
    expect(types(recorded).slice(7)).toEqual([
      'BudgetExceeded',
      'HumanInputRequested',
      'HumanDecisionReceived',
      'StepStarted',
      'CallCompleted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    // Over the budget again after publish, but the person waived it: asked once only.
    expect(types(recorded).filter((type) => type === 'BudgetExceeded')).toHaveLength(1);
    expect(h.llm.calls.map((call) => call.step)).toEqual(['outline', 'write', 'publish']);
  });

  it('escalate, then REJECT: the workflow fails and nothing more is called', async () => {
    const h = harness();
    await h.engine.start('report', tokenBudget, { id: 'r3' });
    await h.engine.settled('r3');
    expect(await h.engine.send('r3', { type: 'REJECT', reason: 'too expensive' })).toMatchObject({ accepted: true });

    const view = await h.engine.settled('r3');
    expect(view).toMatchObject({ status: 'failed', reason: 'Rejected by a person at "write"' });
    expect(types(await h.events('r3')).slice(7)).toEqual(['BudgetExceeded', 'HumanInputRequested', 'HumanDecisionReceived', 'WorkflowFailed']);
    expect(h.llm.calls.map((call) => call.step)).toEqual(['outline', 'write']);
  });

  it('a workflow under its budget never stops for it', async () => {
    const h = harness();
    await h.engine.start('report', { budget: { maxTokens: 1_000, maxCostUsd: 1, onExceed: 'fail' } }, { id: 'r4' });
    expect(await h.engine.settled('r4')).toMatchObject({ status: 'completed' });
    expect(types(await h.events('r4'))).not.toContain('BudgetExceeded');
  });
});
