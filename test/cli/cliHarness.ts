import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/ecl.js');

/** The sample workflow modules every CLI test loads, as a user would with ECL_WORKFLOWS. */
export const SAMPLE_WORKFLOWS = [resolve(import.meta.dirname, '../../examples/brief/brief.ts'), resolve(import.meta.dirname, '../../bench/_serial3.ts')].join(
  ',',
);

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A temporary folder per test, removed afterwards. */
export function tempFolder(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ecl-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const children = new Set<ChildProcessWithoutNullStreams>();

/** Starts `ecl` in a child process, with a clean environment (no API key, no ECL_* from the caller). */
export function startEcl(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): { child: ChildProcessWithoutNullStreams; done: Promise<CliRun>; output: () => string } {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? options.cwd,
    NODE_OPTIONS: '',
    ECL_WORKFLOWS: SAMPLE_WORKFLOWS,
    ...options.env,
  };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliRun>((resolvePromise) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
  return { child, done, output: () => stdout };
}

export const runEcl = (args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> => startEcl(args, options).done;

/** Kills every child a test started and that is still running, each by its own pid. */
export function killChildren(): void {
  for (const child of children) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
}

/** Resolves once `probe` holds, checking whenever the child writes output or at most every 50 ms. */
export async function waitFor(probe: () => boolean, child: ChildProcessWithoutNullStreams, what: string, limitMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!probe()) {
    if (child.exitCode !== null) throw new Error(`The child exited (${child.exitCode}) before ${what}`);
    if (Date.now() - started > limitMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise<void>((resolvePromise) => {
      const onData = () => {
        clearTimeout(timer);
        resolvePromise();
      };
      // Whichever comes first removes the other, so a long wait leaves no listener behind.
      const timer = setTimeout(() => {
        child.stdout.off('data', onData);
        resolvePromise();
      }, 50);
      child.stdout.once('data', onData);
    });
  }
}
