import { readFileSync } from 'node:fs';
import { checkJsonText } from '../edge/index.js';
import { UsageError } from './usageError.js';

/**
 * `--input '{"a":1}'` or `--input @file.json` (`@-` reads stdin). The text meets the same rules as
 * an API body: at most `maxDepth` levels of arrays and objects (`maxJsonDepth`), no key twice in
 * one object.
 */
export function readJsonArgument(value: string, flag: string, maxDepth: number): unknown {
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
  const problem = checkJsonText(text, { maxDepth });
  if (problem !== undefined) throw new UsageError(`The ${source} is not accepted: ${problem.message}${problem.kind === 'too_deep' ? ' (maxJsonDepth)' : ''}`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`The ${source} is not valid JSON: ${(error as Error).message}`);
  }
}
