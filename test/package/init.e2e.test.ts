import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ConsumerProject, createConsumerProject, described } from './support/consumerProject.js';
import { type PackedPackage, REPO, npmEnv, packedPackage } from './support/packedPackage.js';
import { killStarted, runProcess } from './support/processes.js';

/**
 * `ecl init` from the packed package (its templates come from the tarball), then the scaffold as a
 * user gets it: `npm install`, `npm test`, `npx ecl run explain --follow`. The scaffold's
 * `ecl-workflows` dependency points at the tarball, since this version is not on the registry.
 */
let packed: PackedPackage;
let work: string;
let unpacked: string;
let project: ConsumerProject | undefined;

/** The `ecl` of the unpacked tarball, its dependencies the repo's (the same versions). */
const initEcl = (args: string[], cwd = work) =>
  runProcess(process.execPath, [join(unpacked, 'bin', 'ecl.js'), ...args], { cwd, env: npmEnv(), timeoutMs: 30_000 });

beforeAll(async () => {
  packed = await packedPackage();
  work = mkdtempSync(join(tmpdir(), 'ecl-init-'));
  execFileSync('tar', ['-xzf', packed.tarball, '-C', work]);
  unpacked = join(work, 'package');
  symlinkSync(join(REPO, 'node_modules'), join(unpacked, 'node_modules'), 'dir');
}, 400_000);

afterAll(() => {
  killStarted();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

it('refuses a folder that is not empty (exit 2) unless --force, and names the package after the folder', async () => {
  const dir = join(work, 'Busy Folder');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'mine\n');
  const refused = await initEcl(['init', 'Busy Folder']);
  expect(refused.code, described(refused)).toBe(2);
  expect(refused.stderr).toMatch(/Busy Folder is not empty \(notes\.txt\).*--force/);

  const forced = await initEcl(['init', 'Busy Folder', '--force']);
  expect(forced.code, described(forced)).toBe(0);
  expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
  expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toMatchObject({
    name: 'busy-folder',
    dependencies: { 'ecl-workflows': `^${packed.version}` },
  });
});

it('scaffolds a project whose npm install, npm test and npx ecl run explain --follow succeed', async () => {
  const init = await initEcl(['init', 'first-workflows']);
  expect(init.code, described(init)).toBe(0);
  expect(init.stdout).toMatch(/Created first-workflows in first-workflows/);
  expect(init.stdout).toMatch(/npm install[\s\S]*npm test[\s\S]*npx ecl run explain --follow/);

  const dir = join(work, 'first-workflows');
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  manifest.dependencies['ecl-workflows'] = `file:${packed.tarball}`;
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  project = await createConsumerProject({ name: 'init', dir, dependencies: [] });

  const test = await project.run('npm', ['test']);
  expect(test.code, described(test)).toBe(0);
  expect(test.stdout).toMatch(/# pass 3\b/);
  expect(test.stdout).toMatch(/# fail 0\b/);

  const typecheck = await project.run('npm', ['run', 'typecheck']);
  expect(typecheck.code, described(typecheck)).toBe(0);

  const run = await project.run('npx', ['ecl', 'run', 'explain', '--follow', '--id', 'first']);
  expect(run.code, described(run)).toBe(0);
  expect(run.stdout).toMatch(/review +#1 +revise/);
  expect(run.stdout).toMatch(/Completed first/);
  expect(readFileSync(join(dir, '.ecl', 'artifacts', 'first', 'explanation.md'), 'utf8')).toMatch(/^# why a durable workflow records every step/);

  // ecl.config.json names the workflows module: replay needs no --workflows.
  const replay = await project.run('npx', ['ecl', 'replay', 'first', '--verify']);
  expect(replay.code, described(replay)).toBe(0);
}, 400_000);
