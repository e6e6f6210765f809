import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface StartedProcess {
  child: ChildProcessWithoutNullStreams;
  done: Promise<ProcessResult>;
  stdout(): string;
  stderr(): string;
}

export interface ProcessOptions {
  cwd: string;
  env: Record<string, string>;
  /** Killed (SIGKILL, by pid) past this; the result then has signal SIGKILL. */
  timeoutMs?: number;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Starts a child process, collecting its output; it is killed at `timeoutMs` or by {@link killStarted}. */
export function startProcess(command: string, args: readonly string[], options: ProcessOptions): StartedProcess {
  const started = performance.now();
  const child = spawn(command, args, { cwd: options.cwd, env: options.env });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => kill(child), options.timeoutMs ?? 120_000);
  const done = new Promise<ProcessResult>((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

export const runProcess = (command: string, args: readonly string[], options: ProcessOptions): Promise<ProcessResult> =>
  startProcess(command, args, options).done;

function kill(child: ChildProcessWithoutNullStreams): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
}

/** Kills every child started here that is still running, each by its own pid. */
export function killStarted(): void {
  for (const child of running) kill(child);
}

/** Resolves once `probe` holds, checking whenever the child writes output or at most every 50 ms. */
export async function waitForOutput(probe: () => boolean, process: StartedProcess, what: string, limitMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!probe()) {
    if (process.child.exitCode !== null)
      throw new Error(`The child exited (${process.child.exitCode}) before ${what}:\n${process.stdout()}\n${process.stderr()}`);
    if (Date.now() - started > limitMs) throw new Error(`Timed out waiting for ${what}:\n${process.stdout()}\n${process.stderr()}`);
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        process.child.stdout.off('data', wake);
        resolve();
      };
      const timer = setTimeout(wake, 50);
      process.child.stdout.on('data', wake);
    });
  }
}
