import { describe, expect, it } from 'vitest';
import { blockedReason, formatAuditTimeline } from '../../../../src/projections/index.js';
import { briefHistory, createHistory, llmUsage, recordedFrom } from '../historyBuilder.js';
import type { GivenHistories } from '../projectionSpec.js';
import type { JsonObject } from '../../../../src/eventstore/index.js';

/** The readModels suite, on whichever read models `givenHistories` builds (SQLite, PostgreSQL). */
export function readModelSpecs(givenHistories: GivenHistories): void {
  describe('status read model', () => {
    it('given a completed brief run, then it is completed with its artifact and the iterations per step', async () => {
      await givenHistories([briefHistory('wf-1', { tenant: 'acme' })]).then(async (queries) => {
        const status = await queries.getStatus('wf-1');
        expect(status).toMatchObject({
          workflowId: 'wf-1',
          tenant: 'acme',
          definition: 'brief',
          version: 1,
          status: 'completed',
          currentStep: 'load',
          iterations: { extract: 1, draft: 2, review: 2, load: 1 },
          revision: 14,
          output: 'the brief',
          artifact: { path: 'wf-1/brief.md', bytes: 42 },
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:14.000Z',
        });
      });
    });

    it('given a run still reviewing, then it is running on the review step with the state value recorded last', async () => {
      await givenHistories([briefHistory('wf-2', { revisions: 0, finish: false })]).then(async (queries) => {
        expect(await queries.getStatus('wf-2')).toMatchObject({
          status: 'running',
          currentStep: 'review',
          state: 'review',
          iterations: { draft: 1, review: 1 },
        });
      });
    });

    it('given a request for a human, then waiting with the reason; a decision makes it running again', async () => {
      const history = createHistory({ workflowId: 'wf-h' })
        .started()
        .stepStarted('draft')
        .capReached('draft', 3, 'escalate')
        .humanInputRequested('draft', 'cap of 3 reached');
      await givenHistories([history]).then(async (queries) => {
        expect(await queries.getStatus('wf-h')).toMatchObject({ status: 'waiting', reason: 'cap of 3 reached', currentStep: 'draft' });
      });
      history.humanDecision('draft', 'approve', 'key-ops', 'fine as is');
      await givenHistories([history]).then(async (queries) => {
        expect(await queries.getStatus('wf-h')).toMatchObject({ status: 'running', reason: 'human decision at draft: approve (fine as is)' });
      });
    });

    it('given failures and a cancellation, then failed with error and reason, cancelled with reason', async () => {
      const failed = createHistory({ workflowId: 'wf-f' })
        .started()
        .stepStarted('extract')
        .stepFailed('extract', 1, 1, 'INVALID_OUTPUT', false)
        .failed('extract failed');
      const cancelled = createHistory({ workflowId: 'wf-c' }).started().stepStarted('extract').cancelled('no longer needed');
      await givenHistories([failed, cancelled]).then(async (queries) => {
        expect(await queries.getStatus('wf-f')).toMatchObject({
          status: 'failed',
          reason: 'extract failed',
          error: { code: 'INVALID_OUTPUT', retryable: false },
        });
        expect(await queries.getStatus('wf-c')).toMatchObject({ status: 'cancelled', reason: 'no longer needed' });
        expect(await queries.getStatus('nope')).toBeUndefined();
      });
    });

    it('given a live workflow of an unregistered version, then blocked with the reason; finished ones stay as they ended', async () => {
      const old = briefHistory('wf-old', { version: 1, finish: false });
      const oldDone = briefHistory('wf-old-done', { version: 1 });
      const current = briefHistory('wf-new', { version: 2, finish: false });
      const isRegistered = (definition: string, version: number) => definition === 'brief' && version === 2;
      await givenHistories([old, oldDone, current], { isRegistered }).then(async (queries) => {
        expect(await queries.getStatus('wf-old')).toMatchObject({ status: 'blocked', reason: blockedReason('brief', 1) });
        expect((await queries.getStatus('wf-old-done'))?.status).toBe('completed');
        expect((await queries.getStatus('wf-new'))?.status).toBe('running');
        expect((await queries.listWorkflows({ status: 'blocked' })).items.map((item) => item.workflowId)).toEqual(['wf-old']);
        expect((await queries.listWorkflows({ status: 'running' })).items.map((item) => item.workflowId)).toEqual(['wf-new']);
        expect((await queries.metricsSummary()).workflows.byStatus).toEqual({ blocked: 1, completed: 1, running: 1 });
      });
    });
  });

  describe('listing workflows', () => {
    const histories = [
      briefHistory('a-1', { tenant: 'acme' }),
      briefHistory('a-2', { tenant: 'acme', finish: false }),
      briefHistory('b-1', { tenant: 'beta', definition: 'serial3' }),
      briefHistory('b-2', { tenant: 'beta', finish: false }),
      briefHistory('b-3', { tenant: 'beta' }),
    ];

    it('filters by status, definition and tenant, newest first', async () => {
      await givenHistories(histories).then(async (queries) => {
        const ids = async (options: Parameters<typeof queries.listWorkflows>[0]) => (await queries.listWorkflows(options)).items.map((item) => item.workflowId);
        expect(await ids({})).toEqual(['b-3', 'b-2', 'b-1', 'a-2', 'a-1']);
        expect(await ids({ status: 'running' })).toEqual(['b-2', 'a-2']);
        expect(await ids({ definition: 'serial3' })).toEqual(['b-1']);
        expect(await ids({ tenant: 'acme', status: 'completed' })).toEqual(['a-1']);
      });
    });

    it('pages with a cursor until the last page', async () => {
      await givenHistories(histories).then(async (queries) => {
        const first = await queries.listWorkflows({ limit: 2 });
        const second = await queries.listWorkflows({ limit: 2, cursor: first.nextCursor });
        const third = await queries.listWorkflows({ limit: 2, cursor: second.nextCursor });
        expect([first, second, third].map((page) => page.items.map((item) => item.workflowId))).toEqual([['b-3', 'b-2'], ['b-1', 'a-2'], ['a-1']]);
        expect(third.nextCursor).toBeUndefined();
      });
    });
  });

  describe('audit read model', () => {
    it('given a run with a revision, then one entry per event with verdicts, feedback and accounting', async () => {
      await givenHistories([briefHistory('wf-a', { revisions: 1 })]).then(async (queries) => {
        const audit = await queries.getAudit('wf-a');
        expect(audit.map((entry) => entry.revision)).toEqual([...Array(15).keys()]);
        expect(audit[0]).toMatchObject({ type: 'WorkflowStarted', summary: 'started brief v1', sender: 'system' });
        const review = audit.find((entry) => entry.type === 'StepCompleted' && entry.step === 'review' && entry.iteration === 1);
        expect(review).toMatchObject({
          verdict: 'revise',
          feedback: 'add numbers (1)',
          model: 'offline',
          inputTokens: 400,
          outputTokens: 30,
          costUsd: 0.001,
          latencyMs: 20,
          promptHash: 'sha256:offline-400-30',
        });
        expect(audit.find((entry) => entry.type === 'RevisionRequested')).toMatchObject({
          step: 'draft',
          iteration: 1,
          verdict: 'revise',
          summary: 'review sent draft back for revision',
        });
        expect(audit.at(-1)).toMatchObject({ type: 'WorkflowCompleted', summary: 'completed: artifact wf-a/brief.md' });
      });
    });

    it('records who sent a human decision', async () => {
      const history = createHistory({ workflowId: 'wf-s' })
        .started()
        .humanInputRequested('review', 'approve?')
        .humanDecision('review', 'reject', 'key-42', 'too long');
      await givenHistories([history]).then(async (queries) => {
        expect((await queries.getAudit('wf-s')).at(-1)).toMatchObject({ sender: 'key-42', verdict: 'reject', feedback: 'too long', step: 'review' });
      });
    });
  });

  describe('child workflows in the audit', () => {
    /** A workflow with one model call of `cost`, started by `parent`'s step `fan` when given. */
    const family = (workflowId: string, cost: number, parent?: string) => {
      const definition = parent === undefined ? 'digest' : 'summarize';
      const link: JsonObject = parent === undefined ? {} : { parent: { workflowId: parent, step: 'fan', call: `each/${workflowId}` } };
      return createHistory({ workflowId, definition })
        .add('WorkflowStarted', { workflowId, definition, version: 1, input: {}, inputHash: `hash-${workflowId}`, ...link })
        .stepStarted('fan')
        .stepCompleted('fan', 1, 'done', { llm: llmUsage('claude', 10, 5, cost) })
        .add('WorkflowCompleted', { output: 'done' });
    };

    it("given a parent, its children and a grandchild, then each descendant's usage and the family's total; a look-alike id is no child", async () => {
      const histories = [
        family('p-1', 0.01),
        family('p-1.each-a', 0.02, 'p-1'),
        family('p-1.each-b', 0.03, 'p-1'),
        family('p-1.each-a.deep-c', 0.04, 'p-1.each-a'),
        // Its id starts like a child's, but nothing started it from p-1.
        family('p-1.lookalike', 0.5),
        family('other', 0.06, 'elsewhere'),
      ];
      await givenHistories(histories).then(async (queries) => {
        const descendants = await queries.getDescendants('p-1');
        expect(descendants.map((d) => [d.workflowId, d.parentId, d.definition, d.status, d.calls, d.costUsd])).toEqual([
          ['p-1.each-a', 'p-1', 'summarize', 'completed', 1, 0.02],
          ['p-1.each-b', 'p-1', 'summarize', 'completed', 1, 0.03],
          ['p-1.each-a.deep-c', 'p-1.each-a', 'summarize', 'completed', 1, 0.04],
        ]);
        expect(await queries.getDescendants('p-1.each-b')).toEqual([]);
        // Listed by parent: its own children only (newest first), not theirs nor a look-alike.
        const children = async (parent: string) => (await queries.listWorkflows({ parent })).items.map((item) => item.workflowId);
        expect(await children('p-1')).toEqual(['p-1.each-b', 'p-1.each-a']);
        expect(await children('p-1.each-a')).toEqual(['p-1.each-a.deep-c']);
        expect(await children('no-such-workflow')).toEqual([]);
        expect(await queries.getDescendants('no-such-workflow')).toEqual([]);
        const timeline = formatAuditTimeline('p-1', await queries.getAudit('p-1'), descendants);
        expect(timeline.slice(-6)).toEqual([
          '4 events · 1 model call · 10 in / 5 out tokens · $0.0100',
          'child workflows: 2, and 1 started by them (ecl audit <id> shows each)',
          '  p-1.each-a · summarize · completed · 1 model call · 10 in / 5 out tokens · $0.0200',
          '  p-1.each-b · summarize · completed · 1 model call · 10 in / 5 out tokens · $0.0300',
          '  p-1.each-a.deep-c · summarize · completed · 1 model call · 10 in / 5 out tokens · $0.0400  (child of p-1.each-a)',
          'with child workflows: 4 model calls · 40 in / 20 out tokens · $0.1000',
        ]);
      });
    });
  });

  describe('metrics read model', () => {
    it('totals tokens and cost per definition, step and model; counts revisions per step; durations p50/p95', async () => {
      const histories = [briefHistory('m-1', { revisions: 2 }), briefHistory('m-2', { revisions: 0 }), briefHistory('m-3', { revisions: 1, finish: false })];
      await givenHistories(histories).then(async (queries) => {
        const metrics = await queries.metricsSummary();
        expect(metrics.workflows).toEqual({
          total: 3,
          byStatus: { completed: 2, running: 1 },
          byDefinition: { brief: { total: 3, byStatus: { completed: 2, running: 1 } } },
        });
        // 3 extracts, 3+1+2 = 6 drafts and 6 reviews.
        expect(metrics.usage.total).toEqual({
          calls: 15,
          inputTokens: 3 * 200 + 6 * 300 + 6 * 400,
          outputTokens: 3 * 40 + 6 * 500 + 3 * 30 + 3 * 20,
          // Summed as floats, read as a price: exactly 0.069.
          costUsd: 0.069,
        });
        expect(metrics.usage.byStep.find((row) => row.step === 'draft')).toMatchObject({ definition: 'brief', calls: 6, inputTokens: 1800 });
        expect(metrics.usage.byModel).toEqual([expect.objectContaining({ model: 'offline', calls: 15 })]);
        expect(metrics.revisions).toEqual([{ definition: 'brief', step: 'draft', revisions: 3, workflows: 2 }]);
        expect(metrics.durations.steps.find((row) => row.step === 'draft')).toEqual({ definition: 'brief', step: 'draft', count: 6, p50Ms: 1500, p95Ms: 1500 });
        // Completed runs: m-1 has 20 events (19 s), m-2 has 10 (9 s).
        expect(metrics.durations.workflows).toEqual([{ definition: 'brief', count: 2, p50Ms: 9_000, p95Ms: 19_000 }]);
      });
    });

    it('summarises one tenant on its own', async () => {
      const histories = [briefHistory('t-a', { tenant: 'acme', revisions: 2 }), briefHistory('t-b', { tenant: 'beta', revisions: 0, finish: false })];
      await givenHistories(histories).then(async (queries) => {
        const acme = await queries.metricsSummary({ tenant: 'acme' });
        expect(acme.workflows).toEqual({ total: 1, byStatus: { completed: 1 }, byDefinition: { brief: { total: 1, byStatus: { completed: 1 } } } });
        expect(acme.usage.total.calls).toBe(1 + 3 + 3);
        expect(acme.revisions).toEqual([{ definition: 'brief', step: 'draft', revisions: 2, workflows: 1 }]);
        expect(acme.durations.workflows).toEqual([{ definition: 'brief', count: 1, p50Ms: 19_000, p95Ms: 19_000 }]);
        expect(await queries.metricsSummary({ tenant: 'beta' })).toMatchObject({
          workflows: { total: 1, byStatus: { running: 1 } },
          revisions: [],
          durations: { workflows: [] },
        });
        expect((await queries.metricsSummary({ tenant: 'nobody' })).usage.total).toEqual({ calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
      });
    });

    it('measures a step without a recorded duration from its StepStarted time', async () => {
      const history = createHistory({ workflowId: 'm-t', stepMs: 250 })
        .started()
        .stepStarted('draft')
        .add('StepCompleted', { step: 'draft', iteration: 1, attempt: 1, output: 'x', llm: llmUsage('claude', 1, 2, 0.5) });
      await givenHistories([history]).then(async (queries) => {
        expect((await queries.metricsSummary()).durations.steps).toEqual([{ definition: 'brief', step: 'draft', count: 1, p50Ms: 250, p95Ms: 250 }]);
      });
    });
  });

  describe('journaled calls', () => {
    // gather: a fetch and a model call recorded by attempt 1, a crash, a second model call by attempt 2, then the outcome with the total of both model calls.
    const journaled = () =>
      createHistory({ workflowId: 'j-1', definition: 'research' })
        .started()
        .stepStarted('gather')
        .callCompleted('gather', 1, 1, 'fetch pilot', 0, { output: 'pilot text' }, { durationMs: 12 })
        .callCompleted('gather', 1, 1, 'notes pilot', 1, { output: { text: 'notes' } }, { kind: 'complete', llm: llmUsage('claude', 100, 20, 0.01) })
        .stepStarted('gather', 1, 2)
        .callCompleted(
          'gather',
          1,
          2,
          'notes survey',
          2,
          { error: { code: 'RATE_LIMITED', message: 'slow down', retryable: true } },
          { kind: 'complete', llm: llmUsage('claude', 30, 0, 0.002) },
        )
        .add(
          'StepCompleted',
          { step: 'gather', iteration: 1, attempt: 2, output: ['notes'], llm: llmUsage('claude', 130, 20, 0.012) },
          { step: 'gather', iteration: 1, attempt: 2 },
        );

    it("the audit shows each call with its name, outcome and a model call's cost; the timeline counts each model call once", async () => {
      await givenHistories([journaled()]).then(async (queries) => {
        const calls = (await queries.getAudit('j-1')).filter((entry) => entry.type === 'CallCompleted');
        expect(calls.map((entry) => [entry.call, entry.attempt, entry.model, entry.inputTokens, entry.summary])).toEqual([
          ['fetch pilot', 1, null, null, 'gather call 1 "fetch pilot" returned: pilot text'],
          ['notes pilot', 1, 'claude', 100, 'gather model call 2 "notes pilot" returned: notes'],
          ['notes survey', 2, 'claude', 30, 'gather model call 3 "notes survey" failed: RATE_LIMITED: slow down (retryable)'],
        ]);
        const timeline = formatAuditTimeline('j-1', await queries.getAudit('j-1'));
        expect(timeline.at(-1)).toBe('7 events · 2 model calls · 130 in / 20 out tokens · $0.0120');
        // A total shows what adds up, not one call's latency or prompt.
        expect(timeline.find((line) => line.includes("the step's total of its calls above"))).toMatch(
          /^ +claude · 130 in \/ 20 out tokens · \$0\.0120 · the step's total of its calls above$/,
        );
      });
    });

    it("metrics count model usage once, from the step's outcome; the status follows the step", async () => {
      await givenHistories([journaled()]).then(async (queries) => {
        expect((await queries.metricsSummary()).usage.total).toEqual({ calls: 1, inputTokens: 130, outputTokens: 20, costUsd: 0.012 });
        expect(await queries.getStatus('j-1')).toMatchObject({ status: 'running', currentStep: 'gather', revision: 6 });
      });
    });
  });

  describe('skipping what the projection cannot read', () => {
    it('skips and counts unknown types, newer payload versions and invalid payloads, and still applies the rest', async () => {
      const history = createHistory({ workflowId: 'wf-x' }).started();
      history.add('SomethingNew', { v: 1 });
      history.add('StepStarted', { step: 'draft', iteration: 1, attempt: 1, idempotencyKey: 'k' }, {}, 9);
      history.add('StepStarted', { step: 'draft' });
      history.stepStarted('extract');
      await givenHistories(recordedFrom([history])).then(async (queries, { runner }) => {
        expect(await queries.getStatus('wf-x')).toMatchObject({ currentStep: 'extract', revision: 4 });
        expect((await queries.getAudit('wf-x')).map((entry) => entry.type)).toEqual(['WorkflowStarted', 'StepStarted']);
        expect((await runner.skipped()).map(({ reason, detail, count }) => ({ reason, detail, count }))).toEqual([
          { reason: 'invalid_payload', detail: expect.stringContaining('StepStarted'), count: 1 },
          { reason: 'newer_version', detail: 'StepStarted v9', count: 1 },
          { reason: 'unknown_type', detail: 'SomethingNew', count: 1 },
        ]);
      });
    });
  });
}
