import { resolve } from 'node:path';
import { startEcl, waitFor, type CliRun } from '../../cli/cliHarness.js';
import { CHAOS_MODEL_KEY } from './chaosModel.js';

export const CHAOS_MODULE = resolve(import.meta.dirname, 'chaosWorkflow.mjs');
export const CHAOS_API_KEY = 'chaos-campaign-api-key-0001';

export interface ChaosEnv {
  dir: string;
  modelUrl: string;
}

const envOf = ({ modelUrl }: ChaosEnv, extra: Record<string, string> = {}): Record<string, string> => ({
  ECL_WORKFLOWS: CHAOS_MODULE,
  ANTHROPIC_API_KEY: CHAOS_MODEL_KEY,
  ANTHROPIC_BASE_URL: modelUrl,
  ECL_LOG_LEVEL: 'warn',
  ...extra,
});

export interface ServeProcess {
  url: string;
  pid: number;
  output(): string;
  /** SIGKILL, by pid; resolves when the process is gone. */
  kill(): Promise<CliRun>;
  /** SIGTERM, for the last stop. */
  stop(): Promise<CliRun>;
}

/** `ecl serve` on `store`, port 0, the model at the fake; resolves once it listens (recovery done). */
export async function startServe(env: ChaosEnv, store: string, options: { keys: boolean }): Promise<ServeProcess> {
  const args = ['serve', '--store', store, '--port', '0', '--llm', 'anthropic', '--artifacts', `${env.dir}/artifacts`];
  const started = startEcl(args, { cwd: env.dir, env: envOf(env, options.keys ? { ECL_API_KEYS: `chaos:${CHAOS_API_KEY}=acme` } : {}) });
  try {
    await waitFor(() => /Recovered: /.test(started.output()), started.child, 'ecl serve to listen', 60_000);
  } catch (error) {
    if (started.child.pid !== undefined && started.child.exitCode === null) process.kill(started.child.pid, 'SIGKILL');
    const { stderr } = await started.done;
    throw new Error(`${(error as Error).message}\n${stderr.slice(-2_000)}`, { cause: error });
  }
  const url = /ECL API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output())?.[1];
  const pid = started.child.pid;
  if (url === undefined || pid === undefined) throw new Error(`ecl serve printed no address:\n${started.output()}`);
  const signal = (name: NodeJS.Signals) => async () => {
    if (started.child.exitCode === null && started.child.signalCode === null) process.kill(pid, name);
    return started.done;
  };
  return { url, pid, output: started.output, kill: signal('SIGKILL'), stop: signal('SIGTERM') };
}

export interface RunProcess {
  workflowId: string;
  pid: number;
  output(): string;
  done: Promise<CliRun>;
  kill(): Promise<CliRun>;
}

/** `ecl run chaos --id <id> --follow` in-process on `store` (no server): starts or resumes the workflow. */
export function startRun(env: ChaosEnv, store: string, workflowId: string): RunProcess {
  const input = JSON.stringify({ tag: workflowId, gate: false });
  const args = [
    'run',
    'chaos',
    '--id',
    workflowId,
    '--input',
    input,
    '--store',
    store,
    '--llm',
    'anthropic',
    '--artifacts',
    `${env.dir}/artifacts`,
    '--follow',
  ];
  const started = startEcl(args, { cwd: env.dir, env: envOf(env) });
  const pid = started.child.pid;
  if (pid === undefined) throw new Error('ecl run did not start');
  return {
    workflowId,
    pid,
    output: started.output,
    done: started.done,
    async kill() {
      if (started.child.exitCode === null && started.child.signalCode === null) process.kill(pid, 'SIGKILL');
      return started.done;
    },
  };
}

/** `ecl replay <id> --verify`: exit 0 when the fold reproduces every recorded decision and outcome. */
export async function replayVerify(env: ChaosEnv, store: string, storedId: string): Promise<CliRun> {
  return startEcl(['replay', storedId, '--verify', '--store', store], { cwd: env.dir, env: envOf(env) }).done;
}
