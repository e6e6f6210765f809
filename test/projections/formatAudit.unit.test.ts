import { describe, expect, it } from 'vitest';
import { auditEntryOf } from '../../src/projections/auditEntry.js';
import type { DecodedEvent } from '../../src/projections/decodeEvent.js';
import { formatAuditTimeline } from '../../src/projections/index.js';
import { briefHistory } from './support/historyBuilder.js';
import { givenHistories } from './support/projectionSpec.js';

describe('audit timeline', () => {
  it('indents entries under their step and iteration, with verdicts, feedback, tokens and cost', async () => {
    await givenHistories([briefHistory('wf-t', { revisions: 1 })]).then(async (queries) => {
      const lines = formatAuditTimeline('wf-t', await queries.getAudit('wf-t'));
      expect(lines[0]).toBe('workflow wf-t · brief v1 · started 2026-01-01T00:00:00.000Z');
      expect(lines).toContain('  review #1');
      const reviewLine = lines.findIndex((line) => line.includes('review completed: verdict revise'));
      expect(lines[reviewLine]).toMatch(/^ {4}00:00:06\.000 {2}r6 {4}review completed: verdict revise$/);
      expect(lines[reviewLine + 1]).toMatch(/^ {23}feedback: "add numbers \(1\)"$/);
      expect(lines[reviewLine + 3]).toMatch(/^ {4}00:00:07\.000 {2}r7 {4}review sent draft back for revision$/);
      expect(lines[reviewLine + 2]).toMatch(/offline · 400 in \/ 30 out tokens · \$0\.0010 · 20 ms · prompt sha256:offline-400-$/);
      expect(lines.at(-2)).toMatch(/^ {2}00:00:14\.000 {2}r14 {3}completed: artifact wf-t\/brief\.md$/);
      expect(lines.at(-1)).toBe('15 events · 5 model calls · 1600 in / 1090 out tokens · $0.0230');
    });
  });
});

describe('audit of a fan-out', () => {
  const decoded = (revision: number, data: Record<string, unknown>): DecodedEvent =>
    ({
      workflowId: 'wf-f',
      revision,
      position: BigInt(revision),
      event: { type: 'CallCompleted', data: { v: 1, step: 'gather', iteration: 1, attempt: 1, ...data } },
      metadata: { at: '2030-01-01T00:00:00.000Z', sender: 'system' },
      storedVersion: 1,
      recorded: {},
    }) as unknown as DecodedEvent;
  const llm = { model: 'm', inputTokens: 10, outputTokens: 5, costUsd: 0.01, latencyMs: 20, attempts: 1, promptHash: 'sha256:abc' };

  it("names an item's own calls by the item and their name, and the item's outcome by its fan-out, never with a step call's number", () => {
    const call = auditEntryOf(decoded(2, { item: 'doc/2', call: 'fetch', kind: 'run', seq: 0, output: 'text' }));
    expect(call).toMatchObject({ call: 'doc/2/fetch', summary: 'gather item "doc/2" call "fetch" returned: text' });
    const model = auditEntryOf(decoded(3, { item: 'doc/2', call: 'complete#1', kind: 'complete', seq: 1, output: { text: 'hi' }, llm }));
    expect(model.summary).toBe('gather item "doc/2" model call "complete#1" returned: hi');
    const item = auditEntryOf(decoded(4, { call: 'doc/2', kind: 'run', seq: 2, output: 'done', fanOut: { name: 'doc', items: 20 } }));
    expect(item).toMatchObject({ call: 'doc/2', summary: 'gather item "doc/2" (fan-out "doc" of 20) returned: done' });
    const own = auditEntryOf(decoded(5, { call: 'fetch', kind: 'run', seq: 3, output: 'x' }));
    expect(own.summary).toBe('gather call 4 "fetch" returned: x');
  });
});
