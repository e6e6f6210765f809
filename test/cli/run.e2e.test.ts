import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore, workflowStream } from '../../src/eventstore/index.js';
import { killChildren, runEcl, tempFolder } from './cliHarness.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempFolder());
});
afterAll(() => {
  killChildren();
  cleanup();
});

const store = () => `sqlite:${join(dir, 'ecl.db')}`;
const ecl = (...args: string[]) => runEcl([...args, '--store', store(), '--artifacts', join(dir, 'artifacts')], { cwd: dir });
const input = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    instructions: 'Summarise the pilot.',
    documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent.' }],
    ...extra,
  });
async function rawStream(id: string): Promise<string> {
  const opened = await openEventStore(store());
  try {
    return JSON.stringify(await opened.readStream(workflowStream(id)), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  } finally {
    await opened.close();
  }
}

describe('ecl run', () => {
  it('runs brief with the offline model to completion (exit 0), says which store and model, and prints the artifact', async () => {
    const run = await ecl('run', 'brief', '--input', input(), '--id', 'ok-1', '--follow');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Store: ${store()}`);
    expect(run.stdout).toContain('LLM: offline deterministic model (no ANTHROPIC_API_KEY set)');
    expect(run.stdout).toMatch(/review\s+#1\s+revise\s+"State the main conclusion/);
    expect(run.stdout).toMatch(/review\s+#2\s+approve/);
    const artifact = /Artifact: (.*)/.exec(run.stdout)?.[1] ?? '';
    expect(artifact).toBe(join(dir, 'artifacts', 'ok-1', 'brief.md'));
    expect(readFileSync(artifact, 'utf8')).toContain('draft (iteration 2)');
  });

  it('a workflow left waiting for a person exits 1; ecl send APPROVE finishes it (exit 0)', async () => {
    const run = await ecl('run', 'brief', '--input', input({ maxIterations: 1 }), '--id', 'wait-1');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Waiting for a person at review\.waiting \(cap\): APPROVE, REJECT, REQUEST_REVISION, CANCEL/);
    const sent = await ecl('send', 'wait-1', 'APPROVE');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/APPROVE accepted/);
    expect(sent.stdout).toMatch(/Completed wait-1/);
  });

  it('a failed workflow exits 1 with the reason', async () => {
    const run = await ecl('run', 'brief', '--input', input({ maxIterations: 1, onCap: 'fail' }), '--id', 'fail-1');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Failed fail-1: "review" still asked for a revision after 1 iterations/);
    // Run again with the same id, it stays failed, and says how to run it anew.
    const again = await ecl('run', 'brief', '--id', 'fail-1');
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/^Already failed: brief v1 \(revision \d+\); to run it again, give a new --id$/m);
  });

  it('bad input, an unknown definition and bad JSON exit 2 with a clear message and no stack', async () => {
    const bad = await ecl('run', 'brief', '--input', JSON.stringify({ instructions: ' ', documents: [], maxIterations: 0 }), '--id', 'bad-1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid input for brief v1:\n {2}instructions: must not be empty\n {2}documents: .*\n {2}maxIterations: /);
    expect(bad.stderr).not.toMatch(/at .*\.ts:\d+/);
    // Refused before any store is opened: no banner, no workflow id.
    expect(bad.stdout).toBe('');
    expect(await rawStream('bad-1')).toBe('[]');

    const unknown = await ecl('run', 'breif', '--input', '{}');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('Unknown workflow definition "breif". Known: brief, serial3');
    expect(unknown.stdout).toBe('');

    const json = await ecl('run', 'brief', '--input', '{nope');
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/^The --input value is not valid JSON/);

    writeFileSync(join(dir, 'in.json'), input());
    const missing = await ecl('run', 'brief', '--input', '@missing.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read --input file missing.json: ENOENT/);
  });

  it('unknown and not-allowed commands exit 2 and leave the stream byte-for-byte unchanged', async () => {
    const before = await rawStream('ok-1');
    const unknown = await ecl('send', 'ok-1', 'PUBLISH');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command "PUBLISH". Commands: APPROVE, REJECT, REQUEST_REVISION, CANCEL/);
    const late = await ecl('send', 'ok-1', 'APPROVE');
    expect(late.code).toBe(2);
    expect(late.stderr.trim()).toBe('APPROVE is not allowed in state completed: it accepts no command now');
    const invalid = await ecl('send', 'ok-1', 'REQUEST_REVISION', '--data', '{}');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/feedback/);
    expect(await rawStream('ok-1')).toBe(before);
  });

  it('the same id with another input is a conflict (exit 2); with the same input it is the same workflow (exit 0)', async () => {
    const conflict = await ecl('run', 'brief', '--input', input({ instructions: 'Something else' }), '--id', 'ok-1');
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/Workflow ok-1 already exists with a different input/);
    const same = await ecl('run', 'brief', '--input', input(), '--id', 'ok-1');
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/Already completed: brief v1/);
  });
});
