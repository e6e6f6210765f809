// The sample's own tests, written as a user of the package writes them (run here by vitest).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScriptedProvider, createTestEngine, ev, workflowSpec } from 'ecl-workflows/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { brief } from './brief.js';
import { readInputFiles } from './input.js';

const input = { instructions: 'A one-paragraph brief on the pilot.', documents: [{ name: 'pilot.md', text: 'The pilot ran six weeks; pages fell 40%.' }] };

describe('brief', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(() => close?.());

  it('runs to completion on the offline model: one revision asked, then approved, the brief loaded as an artifact', async () => {
    const test = createTestEngine({ definitions: [brief] });
    close = test.close;
    const view = await test.run('brief', input, { id: 'b-1' });
    expect(view.status).toBe('completed');
    const history = await test.history('b-1');
    expect(history.filter((event) => event.type === 'RevisionRequested')).toHaveLength(1);
    expect(test.artifacts.files.get('b-1/brief.md')).toMatch(/\S/);
  });

  it('escalates to a person when the reviewer never approves, and finishes on APPROVE', async () => {
    const reviewer = createScriptedProvider({ script: { steps: { review: [{ output: { verdict: 'revise', feedback: 'Too long.' } }] }, fallback: 'offline' } });
    const test = createTestEngine({ definitions: [brief], llm: reviewer });
    close = test.close;
    const waiting = await test.run('brief', { ...input, maxIterations: 2 }, { id: 'b-2' });
    expect(waiting).toMatchObject({ status: 'waiting', waitingFor: { step: 'review', kind: 'cap' } });
    expect(await test.send('b-2', { type: 'APPROVE' })).toMatchObject({ status: 'completed' });
  });

  it('given a draft under review, when the reviewer asks for a revision, then the draft runs again', () => {
    const spec = workflowSpec(brief);
    spec
      .given(
        spec.started(input),
        ev.stepStarted('extract'),
        ev.stepCompleted('extract', 1, 'facts'),
        ev.stepStarted('draft'),
        ev.stepCompleted('draft', 1, 'draft 1'),
        ev.stepStarted('review'),
      )
      .whenRecorded(ev.stepCompleted('review', 1, { verdict: 'revise', feedback: 'Shorter.' }))
      .then([
        ev.stepCompleted('review', 1, { verdict: 'revise', feedback: 'Shorter.' }),
        ev.revision('draft', 'review', 1, 'Shorter.'),
        ev.stepStarted('draft', 2),
      ]);
  });

  it('reads the files an input names, relative to the input file, into inline documents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brief-input-'));
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'a.md'), 'alpha ✓');
    expect(readInputFiles({ instructions: 'x', files: ['docs/a.md'] }, { baseDir: dir })).toEqual({
      instructions: 'x',
      documents: [{ name: 'a.md', text: 'alpha ✓' }],
    });
    expect(readInputFiles({ instructions: 'x', documents: [] }, { baseDir: dir })).toEqual({ instructions: 'x', documents: [] });
    expect(() => readInputFiles({ files: ['docs/missing.md'] }, { baseDir: dir })).toThrow(/docs\/missing\.md.*ENOENT/);
    expect(() => readInputFiles({ files: ['docs/a.md'], documents: [] }, { baseDir: dir })).toThrow(/either "documents" or "files"/);
  });
});
