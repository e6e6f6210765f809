/**
 * `npm run bench -- cli [--runs N]`: how fast the installed `ecl` starts, from the packed package
 * installed in a temp project (as a user gets it): cold `ecl --help`, and `ecl serve --port 0`
 * until it prints that it listens (fresh SQLite store each run; with no workflow module, and with
 * a TypeScript one loaded through tsx). Floors in the same run: `node -e 0`, and a bare
 * `http.createServer().listen(0)`. Runs alternate between the commands; median and max of N each.
 * Also the tarball's size and file count. Writes bench/results/cli.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createConsumerProject, eclDependencyRange } from '../test/package/support/consumerProject.js';
import { npmEnv, packedPackage } from '../test/package/support/packedPackage.js';
import { type ProcessResult, runProcess, startProcess } from '../test/package/support/processes.js';
import { TS_WORKFLOW } from '../test/package/support/workflowFixtures.js';
import { argNumber } from './_args.js';

const TARGETS = { helpSeconds: 0.3, serveListeningSeconds: 1 };

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { medianS: round(sorted[Math.floor(sorted.length / 2)]! / 1000), maxS: round(sorted.at(-1)! / 1000), runsS: ms.map((value) => round(value / 1000)) };
};

const checked = (result: ProcessResult, what: string): number => {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code ?? result.signal}:\n${result.stderr}`);
  return result.ms;
};

/** Milliseconds from spawn until stdout matches `ready`; then SIGTERM (by pid), and wait for the exit. */
async function timeToReady(command: string, args: string[], cwd: string, ready: RegExp): Promise<number> {
  const started = performance.now();
  const child = startProcess(command, args, { cwd, env: npmEnv(), timeoutMs: 60_000 });
  while (!ready.test(child.stdout())) {
    if (child.child.exitCode !== null) throw new Error(`${args.join(' ')} exited ${child.child.exitCode} before it was ready:\n${child.stderr()}`);
    await Promise.race([new Promise<void>((resolve) => child.child.stdout.once('data', () => resolve())), child.done]);
  }
  const ms = performance.now() - started;
  process.kill(child.child.pid!, 'SIGTERM');
  await child.done;
  return ms;
}

export async function main(args: string[]): Promise<void> {
  const runs = argNumber(args, 'runs', 5);
  const loadAtStart = loadavg()[0]!;
  const packed = await packedPackage();
  const installStarted = performance.now();
  const project = await createConsumerProject({
    name: 'bench',
    packageJson: { name: 'cli-bench', private: true, type: 'module' },
    files: { [TS_WORKFLOW.module]: TS_WORKFLOW.source },
    dependencies: [packed.tarball, `zod@${eclDependencyRange('zod')}`],
  });
  const installSeconds = round((performance.now() - installStarted) / 1000, 1);
  const ecl = join(project.dir, 'node_modules', '.bin', 'ecl');
  const env = npmEnv();
  const floorServer = "require('node:http').createServer().listen(0, '127.0.0.1', () => console.log('listening'))";
  const serveArgs = (dir: string) => [
    'serve',
    '--port',
    '0',
    '--store',
    `sqlite:${join(dir, 'ecl.db')}`,
    '--artifacts',
    join(dir, 'artifacts'),
    '--llm',
    'offline',
  ];

  const times = { nodeFloor: [] as number[], help: [] as number[], listenFloor: [] as number[], serve: [] as number[], serveTsModule: [] as number[] };
  try {
    // One warm-up of each (the OS file cache), not counted: "cold" is a new process, not a cold disk.
    await runProcess(ecl, ['--help'], { cwd: project.dir, env });
    for (let run = 0; run < runs; run++) {
      const dir = mkdtempSync(join(project.dir, 'serve-'));
      mkdirSync(join(dir, 'ts'));
      times.nodeFloor.push(checked(await runProcess(process.execPath, ['-e', '0'], { cwd: project.dir, env }), 'node -e 0'));
      times.help.push(checked(await runProcess(ecl, ['--help'], { cwd: project.dir, env }), 'ecl --help'));
      times.listenFloor.push(await timeToReady(process.execPath, ['-e', floorServer], project.dir, /listening/));
      times.serve.push(await timeToReady(ecl, serveArgs(dir), project.dir, /ECL API listening on/));
      times.serveTsModule.push(await timeToReady(ecl, [...serveArgs(join(dir, 'ts')), '--workflows', TS_WORKFLOW.module], project.dir, /ECL API listening on/));
    }
  } finally {
    project.cleanup();
  }

  const figures = Object.fromEntries(Object.entries(times).map(([name, ms]) => [name, summary(ms)])) as Record<keyof typeof times, ReturnType<typeof summary>>;
  const ratios = {
    helpOverNodeFloor: round(figures.help.medianS / figures.nodeFloor.medianS, 2),
    serveOverListenFloor: round(figures.serve.medianS / figures.listenFloor.medianS, 2),
    serveTsModuleOverListenFloor: round(figures.serveTsModule.medianS / figures.listenFloor.medianS, 2),
  };
  const tarball = { bytes: packed.size, unpackedBytes: packed.unpackedSize, files: packed.files.length };
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage1m: { start: loadAtStart, end: loadavg()[0]! },
  };
  const targets = {
    helpMedianSeconds: { target: TARGETS.helpSeconds, measured: figures.help.medianS, met: figures.help.medianS <= TARGETS.helpSeconds },
    serveListeningMedianSeconds: {
      target: TARGETS.serveListeningSeconds,
      measured: figures.serve.medianS,
      met: figures.serve.medianS <= TARGETS.serveListeningSeconds,
    },
  };

  console.log(
    `\necl start-up, installed from the packed tarball (${runs} runs each; ${machine.cpus} CPUs, node ${machine.node}, load ${loadAtStart.toFixed(1)} -> ${machine.loadAverage1m.end.toFixed(1)})`,
  );
  console.table(Object.entries(figures).map(([measure, { medianS, maxS }]) => ({ measure, 'median s': medianS, 'max s': maxS })));
  console.log(
    `ratios: --help / node -e 0 = ${ratios.helpOverNodeFloor}x; serve / bare listen = ${ratios.serveOverListenFloor}x (with a .ts module: ${ratios.serveTsModuleOverListenFloor}x)`,
  );
  console.log(
    `tarball: ${(tarball.bytes / 1024).toFixed(0)} KiB packed, ${(tarball.unpackedBytes / 1024).toFixed(0)} KiB unpacked, ${tarball.files} files; install into a temp project ${installSeconds} s (better-sqlite3 from a local prebuild)`,
  );
  for (const [name, { target, measured, met }] of Object.entries(targets))
    console.log(`${met ? 'MET ' : 'MISS'} ${name}: ${measured} s (target <= ${target} s)`);

  const results = {
    date: new Date().toISOString(),
    setup:
      'the packed tarball installed with npm into a temp project; each measure is a new process, wall time from spawn to exit (--help) or to the line saying it listens (serve, fresh SQLite store per run)',
    machine,
    runs,
    figures,
    ratios,
    tarball,
    installSeconds,
    targets,
  };
  const out = join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'cli.json'), `${JSON.stringify(results, null, 2)}\n`);
  rmSync(project.dir, { recursive: true, force: true });
}
