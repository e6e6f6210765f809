import { describe, expect, it } from 'vitest';
import { createTestEngine } from 'ecl-workflows/testing';
import { digest, summary } from '../api/support/familyDefinitions.js';

describe('TestEngine.audit(): the audit trail in a test', () => {
  it("gives the entries, the child workflows' usage and ecl audit's lines, caught up at each call", async () => {
    const t = createTestEngine({ definitions: [summary, digest] });
    expect(await t.run(digest, {}, { id: 'd1' })).toMatchObject({ status: 'completed' });

    const audit = await t.audit('d1');
    expect(audit.entries.map((entry) => entry.type)).toEqual((await t.history('d1')).map((event) => event.type));
    const combine = audit.entries.find((entry) => entry.type === 'StepCompleted' && entry.step === 'combine');
    expect(combine).toMatchObject({ model: expect.any(String) as string, inputTokens: expect.any(Number) as number });
    expect(audit.descendants.map((child) => [child.definition, child.status, child.calls])).toEqual([
      ['summary', 'completed', 1],
      ['summary', 'completed', 1],
    ]);
    expect(audit.timeline[0]).toMatch(/^workflow d1 · digest v1 · started /);
    expect(audit.timeline).toContain('child workflows: 2 (ecl audit <id> shows each)');
    expect(audit.timeline.at(-1)).toMatch(/^with child workflows: 3 model calls · /);

    // Caught up again at the next call.
    await t.run(summary, { text: 'later' }, { id: 's9' });
    expect((await t.audit('s9')).entries.at(-1)?.type).toBe('WorkflowCompleted');
    await t.close();
  });
});
