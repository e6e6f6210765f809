import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runProcess } from './processes.js';

export const REPO = resolve(import.meta.dirname, '../../..');

export interface PackedFile {
  path: string;
  size: number;
}

/** What `npm pack --json` reports, and where the tarball is. */
export interface PackedPackage {
  tarball: string;
  name: string;
  version: string;
  /** Compressed size in bytes. */
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

const CACHE_PREFIX = 'ecl-package-';
const STALE_MS = 60 * 60 * 1000;

/** The files `npm pack` could see: tracked and untracked-but-not-ignored, as they are now in the working tree. */
function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return listed.split('\0').filter((path) => path !== '' && existsSync(join(REPO, path)) && statSync(join(REPO, path)).isFile());
}

/** A key for the tree's state: a pack is reused only while no file changed (and by the same Node). */
function treeKey(files: readonly string[]): string {
  const hash = createHash('sha256').update(process.version);
  for (const path of files) {
    const stat = statSync(join(REPO, path));
    hash.update(`${path}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Copies the tree to a staging folder (node_modules linked, not copied) and runs `npm pack` there, so
 * the pack's own build (`prepare`) writes the staging folder's dist/, never the working tree's,
 * which other tests run at the same time.
 */
async function packInto(files: readonly string[], destination: string): Promise<void> {
  const staging = mkdtempSync(join(tmpdir(), 'ecl-pack-staging-'));
  try {
    for (const path of files) {
      mkdirSync(dirname(join(staging, path)), { recursive: true });
      copyFileSync(join(REPO, path), join(staging, path));
    }
    symlinkSync(join(REPO, 'node_modules'), join(staging, 'node_modules'), 'dir');
    const packed = await runProcess('npm', ['pack', '--json', '--pack-destination', destination], { cwd: staging, env: npmEnv(), timeoutMs: 180_000 });
    if (packed.code !== 0) throw new Error(`npm pack failed (${packed.code}):\n${packed.stderr}\n${packed.stdout}`);
    writeFileSync(join(destination, 'pack.json'), packed.stdout.slice(packed.stdout.indexOf('[')));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function readPacked(dir: string): PackedPackage {
  const [report] = JSON.parse(readFileSync(join(dir, 'pack.json'), 'utf8')) as Array<{
    filename: string;
    name: string;
    version: string;
    size: number;
    unpackedSize: number;
    files: PackedFile[];
  }>;
  if (report === undefined) throw new Error(`${dir}/pack.json holds no pack report`);
  return {
    tarball: join(dir, report.filename),
    name: report.name,
    version: report.version,
    size: report.size,
    unpackedSize: report.unpackedSize,
    files: report.files.map(({ path, size }) => ({ path, size })),
  };
}

const sleep = (ms: number) => new Promise((resolvePromise) => setTimeout(resolvePromise, ms));

/**
 * The package as `npm publish` would upload it, packed at most once per state of the tree: test
 * files (and the bench) running at the same time share one pack through a folder in the OS temp
 * dir named after the tree, made by whoever takes its lock first.
 */
export async function packedPackage(): Promise<PackedPackage> {
  const files = sourceFiles();
  const ready = join(tmpdir(), `${CACHE_PREFIX}${treeKey(files)}`);
  const lock = `${ready}.lock`;
  for (const started = Date.now(); !existsSync(join(ready, 'pack.json')); await sleep(250)) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() - started > 6 * 60_000) throw new Error(`Timed out waiting for another process to pack into ${ready}`);
      continue;
    }
    try {
      const building = mkdtempSync(join(tmpdir(), `${CACHE_PREFIX}building-`));
      await packInto(files, building);
      renameSync(building, ready);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  pruneOldPacks(ready);
  return readPacked(ready);
}

/** Packs of older trees are left for an hour (a run started before an edit may still use one), then removed. */
function pruneOldPacks(keep: string): void {
  for (const entry of readdirSync(tmpdir())) {
    const path = join(tmpdir(), entry);
    // Only packs (and packs left half-built): the better-sqlite3 prebuild beside them is shared by installs running now.
    if (!/^ecl-package-([0-9a-f]{16}|building-\w+)$/.test(entry) || path === keep) continue;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat !== undefined && Date.now() - stat.mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * The environment for a nested npm: the caller's, without what an enclosing `npm test` exports
 * about *this* package (npm_package_*, npm_lifecycle_*, its prefix), which would steer the nested
 * npm back into the repo. The cache and the user's npmrc stay, so installs can be offline.
 */
export function npmEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_registry']);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^npm_/i.test(key) && !keep.has(key.toLowerCase())) continue;
    if (/^(VITEST|NODE_OPTIONS$|NODE_ENV$|ECL_|ANTHROPIC_|INIT_CWD$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}
