import { describe, expect, it } from 'vitest';
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
