import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConfigError, type ConfigError } from '../../src/config/index.js';

export const emptyDir = (): string => mkdtempSync(join(tmpdir(), 'ecl-config-'));

/** A folder holding `ecl.config.json` with this content (a string is written as it is). */
export const withFile = (content: unknown): string => {
  const dir = emptyDir();
  writeFileSync(join(dir, 'ecl.config.json'), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
};

/** The ConfigError `run` throws; anything else fails the test. */
export const failure = (run: () => unknown): ConfigError => {
  try {
    run();
  } catch (error) {
    if (isConfigError(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};
