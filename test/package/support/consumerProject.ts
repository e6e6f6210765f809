import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO, npmEnv } from './packedPackage.js';
import { type ProcessResult, type StartedProcess, runProcess, startProcess } from './processes.js';

/** A project outside the repo that installed the packed package, as a user's would. */
export interface ConsumerProject {
  dir: string;
  /** What `npm install` printed. */
  install: ProcessResult;
  /** The installed `ecl` (node_modules/.bin/ecl), in `cwd` (default the project). */
  ecl(args: readonly string[], options?: { cwd?: string; timeoutMs?: number }): Promise<ProcessResult>;
  startEcl(args: readonly string[], options?: { cwd?: string; env?: Record<string, string> }): StartedProcess;
  /** Any command in the project, with the project's environment. */
  run(command: string, args: readonly string[], options?: { cwd?: string; timeoutMs?: number }): Promise<ProcessResult>;
  write(path: string, content: string): void;
  cleanup(): void;
}

/** The version range ECL's own package.json gives a dependency, also when it installs it under an alias. */
export function eclDependencyRange(dependency: string): string {
  const ecl = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const specs = Object.entries({ ...ecl.devDependencies, ...ecl.dependencies });
  const range =
    specs.find(([key, spec]) => key === dependency && !spec.startsWith('npm:'))?.[1] ??
    specs.find(([, spec]) => spec.startsWith(`npm:${dependency}@`))?.[1]?.slice(`npm:${dependency}@`.length);
  if (range === undefined) throw new Error(`ECL's package.json has no ${dependency}`);
  return range;
}

/**
 * better-sqlite3 compiles from source when it finds no prebuilt binary (a minute on 2 cores, per
 * install). Its installer, prebuild-install, looks for a local prebuild first: hand it the binary
 * the repo's own install produced, so each test install takes seconds. Same package, same Node.
 */
function localPrebuildEnv(): Record<string, string> {
  const moduleDir = join(REPO, 'node_modules', 'better-sqlite3');
  const binary = join(moduleDir, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(binary)) return {};
  const { version } = JSON.parse(readFileSync(join(moduleDir, 'package.json'), 'utf8')) as { version: string };
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  const libc = process.platform === 'linux' && glibc === undefined ? 'musl' : '';
  const stat = statSync(binary);
  const dir = join(tmpdir(), `ecl-package-prebuilds-${version}-${process.versions.modules}-${Math.round(stat.mtimeMs)}-${stat.size}`);
  const tarball = join(dir, `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}${libc}-${process.arch}.tar.gz`);
  if (!existsSync(tarball)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${tarball}.${process.pid}.partial`;
    execFileSync('tar', ['-czf', partial, '-C', moduleDir, 'build/Release/better_sqlite3.node']);
    renameSync(partial, tarball);
  }
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

/**
 * Makes a temp project with `packageJson` and `files`, then `npm install`s `dependencies` into it
 * (offline when npm's cache holds them). Throws with npm's output when the install fails.
 */
export async function createConsumerProject(options: {
  name: string;
  dependencies: readonly string[];
  packageJson?: Record<string, unknown>;
  files?: Record<string, string>;
  dir?: string;
}): Promise<ConsumerProject> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `ecl-consumer-${options.name}-`));
  const env = npmEnv();
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  if (options.packageJson !== undefined) write('package.json', `${JSON.stringify(options.packageJson, null, 2)}\n`);
  for (const [path, content] of Object.entries(options.files ?? {})) write(path, content);
  const install = await runProcess('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...options.dependencies], {
    cwd: dir,
    env: { ...env, ...localPrebuildEnv() },
    timeoutMs: 300_000,
  });
  if (install.code !== 0) throw new Error(`npm install in ${dir} failed (${install.code}):\n${install.stderr}\n${install.stdout}`);
  const bin = join(dir, 'node_modules', '.bin', 'ecl');
  return {
    dir,
    install,
    ecl: (args, opts = {}) => runProcess(bin, args, { cwd: opts.cwd ?? dir, env, timeoutMs: opts.timeoutMs ?? 60_000 }),
    startEcl: (args, opts = {}) => startProcess(bin, args, { cwd: opts.cwd ?? dir, env: { ...env, ...opts.env }, timeoutMs: 120_000 }),
    run: (command, args, opts = {}) => runProcess(command, args, { cwd: opts.cwd ?? dir, env, timeoutMs: opts.timeoutMs ?? 120_000 }),
    write,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `result` as text for an assertion message: the exit and both streams. */
export const described = (result: ProcessResult): string => `exit ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
