import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, runEcl, SAMPLE_WORKFLOWS, startEcl, tempFolder, waitFor } from './cliHarness.js';

const GATE = resolve(import.meta.dirname, 'fixtures/gate.ts');
const WORKFLOWS = `${SAMPLE_WORKFLOWS},${GATE}`;

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
const env = { ECL_WORKFLOWS: WORKFLOWS };
const ecl = (...args: string[]) => runEcl([...args, '--store', store()], { cwd: dir, env });
/** What a stack trace or an unhandled pipe error looks like on stderr. */
const NOISE = /EPIPE|ERR_STREAM|\n\s+at /;

describe('ecl in pipes and scripts', () => {
  it('bare `ecl` prints help to stderr and exits with the usage code (2)', async () => {
    const result = await runEcl([], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Usage: ecl/);
  });

  it('`ecl run <unknown definition>` names the known definitions, prints no workflow id and writes nothing', async () => {
    const { dir: empty, cleanup: done } = tempFolder();
    try {
      const result = await runEcl(['run', 'nope', '--store', `sqlite:${join(empty, 'ecl.db')}`], { cwd: empty, env });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/Unknown workflow definition "nope"\. Known: brief, gate, serial3/);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/Workflow /);
      expect(existsSync(join(empty, 'ecl.db'))).toBe(false);
      expect(existsSync(join(empty, '.ecl'))).toBe(false);
    } finally {
      done();
    }
  });

  it('--json of every read command prints JSON and only JSON on stdout', async () => {
    expect((await ecl('run', 'serial3', '--id', 'json-1')).code).toBe(0);
    const commands = [
      ['status'],
      ['status', 'json-1'],
      ['list'],
      ['audit', 'json-1'],
      ['replay', 'json-1'],
      ['replay', 'json-1', '--verify'],
      ['replay', 'json-1', '--to', '2'],
      ['projections', 'status'],
      ['projections', 'rebuild'],
    ];
    for (const command of commands) {
      const result = await ecl(...command, '--json');
      expect(result.code, `ecl ${command.join(' ')} --json: ${result.stderr}`).toBe(0);
      expect(() => JSON.parse(result.stdout) as unknown, `ecl ${command.join(' ')} --json`).not.toThrow();
    }
    const definitions = await runEcl(['definitions', '--json'], { cwd: dir, env });
    expect((JSON.parse(definitions.stdout) as { definitions: { name: string }[] }).definitions.map((row) => row.name)).toEqual(['brief', 'gate', 'serial3']);
    // The verdict of --verify is a sentence: stderr, after the JSON.
    expect((await ecl('replay', 'json-1', '--verify', '--json')).stderr).toMatch(/verified/);
  });

  it('--json of the read commands against a server (--server) prints JSON and only JSON on stdout', async () => {
    const { dir: served, cleanup: done } = tempFolder();
    const serve = startEcl(['serve', '--port', '0', '--store', `sqlite:${join(served, 'ecl.db')}`, '--llm', 'offline'], { cwd: served, env });
    try {
      await waitFor(() => /listening on http:\/\/\S+/.test(serve.output()), serve.child, 'the server banner');
      const server = /listening on (http:\/\/\S+)/.exec(serve.output())![1]!;
      const remote = (...args: string[]) => runEcl([...args, '--server', server], { cwd: served, env });
      expect((await remote('run', 'serial3', '--id', 'remote-1')).code).toBe(0);
      for (const command of [['status'], ['status', 'remote-1'], ['list'], ['audit', 'remote-1']]) {
        const result = await remote(...command, '--json');
        expect(result.code, `ecl ${command.join(' ')} --json --server: ${result.stderr}`).toBe(0);
        expect(() => JSON.parse(result.stdout) as unknown, `ecl ${command.join(' ')} --json --server`).not.toThrow();
      }
    } finally {
      if (serve.child.exitCode === null) process.kill(serve.child.pid!, 'SIGTERM');
      await serve.done;
      done();
    }
  });

  it('a reader that closes the pipe early ends `ecl run` quietly, and the workflow still completes', async () => {
    const gate = join(dir, 'gate-open');
    const run = startEcl(['run', 'gate', '--id', 'pipe-1', '--follow', '--input', JSON.stringify({ gate }), '--store', store()], { cwd: dir, env });
    // `| head -1`: read the first line, then close the pipe while the step is still held.
    await waitFor(() => run.output().includes('\n'), run.child, 'the first line');
    run.child.stdout.destroy();
    writeFileSync(gate, '');
    const result = await run.done;
    expect(result.stderr).not.toMatch(NOISE);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    const status = await ecl('status', 'pipe-1', '--json');
    expect((JSON.parse(status.stdout) as { status: string }).status).toBe('completed');
  });

  it('`ecl list` and `ecl status` into a closed pipe end quietly with exit 0', async () => {
    for (let n = 0; n < 3; n += 1) expect((await ecl('run', 'serial3')).code).toBe(0);
    for (const command of [['list'], ['status'], ['list', '--json']]) {
      const reader = startEcl([...command, '--store', store()], { cwd: dir, env });
      reader.child.stdout.destroy();
      const result = await reader.done;
      expect(result.stderr, `ecl ${command.join(' ')}`).not.toMatch(NOISE);
      expect(result.code, `ecl ${command.join(' ')}`).toBe(0);
    }
  });
});
