import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigProblem, type ConfigSource } from './errors.js';

/** A path the configuration names, checked before anything is opened or written. */
export interface ConfiguredPath {
  key: string;
  path: string;
  /** `folder`: it is (or will be) a folder we write into; `file`: a file we create or write, with siblings (SQLite's -wal). */
  kind: 'file' | 'folder';
  source: ConfigSource;
}

const statOf = (path: string): Stats | undefined => {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
};

const writable = (path: string): boolean => {
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Why `path` cannot be used as a `kind`, or undefined. Creates nothing. */
export function pathProblem(path: string, kind: 'file' | 'folder'): string | undefined {
  const target = resolve(path);
  const stats = statOf(target);
  if (stats !== undefined) {
    if (kind === 'folder' && !stats.isDirectory()) return `${target} exists and is not a folder`;
    if (kind === 'file' && stats.isDirectory()) return `${target} is a folder, not a file`;
    const folder = kind === 'folder' ? target : dirname(target);
    return writable(folder) ? undefined : `no permission to write in ${folder}`;
  }
  // The nearest existing ancestor must be a folder we may create the rest in.
  let ancestor = dirname(target);
  for (;;) {
    const found = statOf(ancestor);
    if (found !== undefined) {
      if (!found.isDirectory()) return `cannot be created: ${ancestor} is a file, not a folder`;
      return writable(ancestor) ? undefined : `cannot be created: no permission to write in ${ancestor}`;
    }
    const parent = dirname(ancestor);
    if (parent === ancestor) return `cannot be created: no existing folder above it`;
    ancestor = parent;
  }
}

/** Throws a `ConfigError` naming every configured path that cannot be used, its key and where it came from. */
export function assertUsablePaths(paths: readonly ConfiguredPath[]): void {
  const problems: ConfigProblem[] = [];
  for (const { key, path, kind, source } of paths) {
    const problem = pathProblem(path, kind);
    if (problem !== undefined) problems.push({ key, value: JSON.stringify(path), source, message: problem });
  }
  if (problems.length > 0) throw new ConfigError('INVALID_CONFIG', problems);
}

/**
 * An error about what a configured value names, found only when it is used (a store URL that does
 * not parse, a model spec), as a `ConfigError` that names the key and where the value came from.
 */
export const configErrorOf = (key: string, value: string, source: ConfigSource, error: Error): ConfigError =>
  new ConfigError('INVALID_CONFIG', [{ key, value: JSON.stringify(value), source, message: error.message }], { cause: error });
