/**
 * `npm run bench -- <name> [args]` runs bench/<name>.ts; with no name, every benchmark in turn.
 * Each benchmark prints a table and writes bench/results/<name>.json.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = (await readdir(here)).filter((file) => file.endsWith('.ts') && file !== 'run.ts' && !file.startsWith('_')).map((file) => file.slice(0, -3));
const [name, ...args] = process.argv.slice(2);

if (name !== undefined && !available.includes(name)) {
  console.error(`Unknown benchmark "${name}". Available: ${available.join(', ')}`);
  process.exit(2);
}
for (const bench of name === undefined ? available : [name]) {
  const module = (await import(`./${bench}.ts`)) as { main: (args: string[]) => Promise<void> };
  await module.main(args);
}
