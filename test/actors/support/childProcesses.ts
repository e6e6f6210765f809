import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Child processes running a script under tsx, for crash tests: each run ends by printing `until`
 * (then, with `kill`, it is SIGKILLed by its pid) or within 30 s (killed, and the run rejects with
 * what it printed). `killAll()` ends every child still alive, by pid; call it after each test.
 */
export function childProcesses(script: string) {
  const children: ChildProcess[] = [];

  const run = (args: string[], env: Record<string, string>, until: string, kill: boolean): Promise<string> => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      const bound = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
        reject(new Error(`child did not print ${until} in time: ${stdout}\n${stderr}`));
      }, 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (kill && stdout.includes(until) && child.pid !== undefined && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      });
      child.on('exit', (code, signal) => {
        clearTimeout(bound);
        if (kill ? signal === 'SIGKILL' && stdout.includes(until) : code === 0 && stdout.includes(until)) resolve(stdout);
        else reject(new Error(`child exited with ${code ?? signal}: ${stdout}\n${stderr}`));
      });
    });
  };

  const killAll = (): void => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };

  return { run, killAll };
}
