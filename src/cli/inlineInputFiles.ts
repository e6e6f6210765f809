import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { UsageError } from './usageError.js';

/**
 * An input's `files` (paths relative to `baseDir`, the input file's folder) are read here, at the
 * CLI edge, into inline `documents`: the recorded input is then self-contained, so replay and a
 * remote `ecl serve` never depend on this machine's files or working directory.
 */
export function inlineInputFiles(input: unknown, baseDir: string): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const { files, ...rest } = input as Record<string, unknown>;
  if (!Array.isArray(files) || 'documents' in rest) return input;
  const documents = files.map((path) => {
    if (typeof path !== 'string') return path;
    try {
      return { name: basename(path), text: readFileSync(resolve(baseDir, path), 'utf8') };
    } catch (error) {
      throw new UsageError(`Cannot read input file ${path} (from ${baseDir}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  });
  return { ...rest, documents };
}

/** The folder an `--input` value's relative paths are taken from: the `@file`'s folder, else the working directory. */
export const inputBaseDir = (value: string): string =>
  value.startsWith('@') && value !== '@-' ? resolve(value.slice(1), '..') : process.cwd();
