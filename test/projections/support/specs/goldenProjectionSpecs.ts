import { describe, expect, it } from 'vitest';
import { allGoldens, loadGolden, recordedGolden } from '../goldens.js';
import type { GivenHistories } from '../projectionSpec.js';

/** The goldenProjections suite, on whichever read models `givenHistories` builds (SQLite, PostgreSQL). */
export function goldenProjectionSpecs(givenHistories: GivenHistories): void {
  describe('read models of golden histories', () => {
    for (const golden of allGoldens()) {
      it(`${golden.file}: status mirrors the recorded end state; one audit entry per event`, async () => {
        await givenHistories(recordedGolden(golden)).then(async (queries, { runner }) => {
          const status = await queries.getStatus(golden.workflowId);
          expect(status?.state).toEqual(golden.finalState);
          expect(status?.status).toBe(typeof golden.finalState === 'string' ? golden.finalState : 'running');
          expect(status?.revision).toBe(golden.lastRevision);
          expect(await queries.getAudit(golden.workflowId)).toHaveLength(golden.lastRevision + 1);
          expect(await runner.skipped()).toEqual([]);
        });
      });
    }

    it('the engine-recorded run carries tenant, sender and the offline model accounting', async () => {
      await givenHistories(recordedGolden(loadGolden('brief-v1-engine-offline.json'))).then(async (queries) => {
        expect(await queries.getStatus('golden-engine-offline')).toMatchObject({
          tenant: 'acme',
          status: 'completed',
          iterations: { extract: 1, draft: 2, review: 2, load: 1 },
        });
        const audit = await queries.getAudit('golden-engine-offline');
        expect(audit[0]?.sender).toBe('cli');
        expect(audit.filter((entry) => entry.model !== null).length).toBeGreaterThanOrEqual(5);
        expect((await queries.metricsSummary()).revisions).toEqual([{ definition: 'brief', step: 'draft', revisions: 1, workflows: 1 }]);
      });
    });

    it('the legacy run reads its v0 accounting through the upcaster', async () => {
      await givenHistories(recordedGolden(loadGolden('brief-v1-legacy-payloads.json'))).then(async (queries) => {
        const completions = (await queries.getAudit('golden-legacy')).filter((entry) => entry.type === 'StepCompleted');
        expect(completions.every((entry) => entry.payloadVersion === 0)).toBe(true);
        expect(completions.find((entry) => entry.step === 'review' && entry.iteration === 1)).toMatchObject({
          verdict: 'revise',
          feedback: 'Add a title.',
          model: 'claude-2',
          inputTokens: 1000,
        });
        expect((await queries.metricsSummary()).usage.byModel).toEqual([expect.objectContaining({ model: 'claude-2', calls: 5 })]);
      });
    });
  });
}
