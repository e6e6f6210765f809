import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, startEcl, tempFolder, type CliRun } from './cliHarness.js';

// Issue 14, item 6, through the bin: a bad setting exits 2 before anything listens or is written,
// and the message names the key, where the value came from and what is wrong.

const cleanups: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function folder(): string {
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  return dir;
}

/** Runs `ecl serve`; a server that starts anyway is stopped by its pid, and the run fails the expectations below. */
async function serve(dir: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const started = startEcl(['serve', '--port', '0', ...args], { cwd: dir, env: { ECL_WORKFLOWS: '', ...env } });
  const watchdog = setInterval(() => {
    if (/listening/.test(started.output()) && started.child.pid !== undefined) process.kill(started.child.pid, 'SIGKILL');
  }, 50);
  try {
    return await started.done;
  } finally {
    clearInterval(watchdog);
  }
}

const expectConfigExit = (run: CliRun, pattern: RegExp) => {
  expect(run.stdout).not.toMatch(/listening/);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(run.code).toBe(2);
};

describe('ecl serve refuses bad settings with exit 2, naming key and source', () => {
  it('an invalid ECL_HOST is an invalid host, not a missing API key', async () => {
    const dir = folder();
    for (const host of ['not a host!', '999.1.1.1', 'http://127.0.0.1']) {
      const run = await serve(dir, ['--store', 'memory:'], { ECL_HOST: host });
      expectConfigExit(
        run,
        new RegExp(`host=${JSON.stringify(host).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(from the environment variable ECL_HOST\\): invalid host`),
      );
      expect(run.stderr).not.toMatch(/API keys/);
    }
  });

  it('an uncreatable projections path or artifacts folder is refused at start', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'in-the-way'), 'a file');
    const projections = await serve(dir, ['--store', 'memory:', '--projections', join(dir, 'in-the-way', 'read.db')]);
    expectConfigExit(projections, /projections=".*in-the-way\/read\.db" \(from the flag --projections\): cannot be created: .*in-the-way is a file/);
    expect(projections.stderr).not.toMatch(/EEXIST|projection worker/);
    const artifacts = await serve(dir, ['--store', 'memory:'], { ECL_ARTIFACTS_DIR: join(dir, 'in-the-way', 'artifacts') });
    expectConfigExit(artifacts, /artifactsDir=".*" \(from the environment variable ECL_ARTIFACTS_DIR\): cannot be created/);
    const store = await serve(dir, ['--store', `sqlite:${join(dir, 'in-the-way', 'ecl.db')}`]);
    expectConfigExit(store, /store=".*" \(from the flag --store\): cannot be created/);
  });

  it('a malformed KurrentDB URL names the store key and where it came from', async () => {
    const dir = folder();
    const fromEnv = await serve(dir, [], { ECL_STORE: 'kurrentdb://' });
    expectConfigExit(fromEnv, /store="kurrentdb:\/\/" \(from the environment variable ECL_STORE\): .*KurrentDB/);
    const fromFlag = await serve(dir, ['--store', 'kurrentdb://localhost:notaport?tls=false']);
    expectConfigExit(fromFlag, /store="kurrentdb:\/\/localhost:notaport\?tls=false" \(from the flag --store\): /);
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'ecl.config.json'), JSON.stringify({ store: 'esdb+discover://' }));
    const fromFile = await serve(join(dir, 'conf'), []);
    expectConfigExit(fromFile, /store="esdb\+discover:\/\/" \(from the config file .*ecl\.config\.json\)/);
  });

  it('an invalid port in the config file is reported although --port overrides it', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'ecl.config.json'), JSON.stringify({ port: 'eighty', store: 'memory:' }));
    expectConfigExit(await serve(dir, []), /port="eighty" \(from the config file .*ecl\.config\.json\)/);
  });

  it('a one-character API key secret is refused with the minimum length', async () => {
    const dir = folder();
    const run = await serve(dir, ['--store', 'memory:'], { ECL_API_KEYS: 'x=acme' });
    expectConfigExit(run, /apiKeys\[0\]\.key=<redacted> \(from the environment variable ECL_API_KEYS\): an API key secret is at least 16 characters/);
  });

  it('an empty ECL_HOST, ECL_STORE or ECL_LLM is refused rather than read as unset', async () => {
    const dir = folder();
    for (const variable of ['ECL_HOST', 'ECL_STORE', 'ECL_LLM']) {
      expectConfigExit(
        await serve(dir, ['--store', 'memory:'].slice(variable === 'ECL_STORE' ? 2 : 0), { [variable]: '' }),
        new RegExp(`="" \\(from the environment variable ${variable}\\): is empty: unset ${variable}`),
      );
    }
  });

  it('the same settings are refused by ecl run, naming their real source', async () => {
    const dir = folder();
    const run = startEcl(['run', 'serial3', '--input', '{}'], { cwd: dir, env: { ECL_STORE: 'kurrentdb://' } });
    const result = await run.done;
    expect(result.stderr).toMatch(/store="kurrentdb:\/\/" \(from the environment variable ECL_STORE\)/);
    expect(result.code).toBe(2);
  });
});
