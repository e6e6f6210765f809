import { readFileSync } from 'node:fs';
import { UsageError } from './usageError.js';

/** `--input '{"a":1}'` or `--input @file.json` (`@-` reads stdin). */
export function readJsonArgument(value: string, flag: string): unknown {
  let text = value;
  let source = `${flag} value`;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    source = file === '-' ? 'stdin' : file;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (error) {
      throw new UsageError(`Cannot read ${flag} file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`The ${source} is not valid JSON: ${(error as Error).message}`);
  }
}
