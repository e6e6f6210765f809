import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');

/** A folder outside the repo where `ecl-workflows` resolves to this checkout, as it does after `npm install`. */
export function userProject(): { dir: string; write: (name: string, text: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ecl-modules-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules', 'ecl-workflows'), 'dir');
  symlinkSync(join(REPO, 'node_modules', 'zod'), join(dir, 'node_modules', 'zod'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  return {
    dir,
    write(name, text) {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A module source exporting one three-step definition. */
export const definitionSource = (name: string, version = 1, exportLine = `export const ${name}Workflow = wf;`, steps = ['one', 'two']) => `
import { defineWorkflow } from 'ecl-workflows';
import { z } from 'zod';
const wf = defineWorkflow({
  name: '${name}',
  version: ${version},
  input: z.object({}).default({}),
  steps: [${steps.map((step) => `{ kind: 'produce', name: '${step}', run: async () => '${step} v${version}' }`).join(', ')}],
});
${exportLine}
`;
