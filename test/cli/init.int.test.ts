import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageNameOf, scaffoldProject } from '../../src/cli/init.js';
import { isUsageError } from '../../src/cli/usageError.js';
import { tempFolder } from './cliHarness.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
const folder = () => {
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  return dir;
};
const eclPackage = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

describe('ecl init: the scaffold', () => {
  it('writes the project into a new folder, every placeholder filled', () => {
    const dir = join(folder(), 'My Flows');
    const { name, files } = scaffoldProject(dir);
    expect(name).toBe('my-flows');
    expect(files).toEqual(['.gitignore', 'README.md', 'ecl.config.json', 'package.json', 'src/workflows.ts', 'test/workflow.test.ts', 'tsconfig.json']);
    for (const file of files) expect(readFileSync(join(dir, file), 'utf8')).not.toMatch(/\{\{\w+\}\}/);
    expect(JSON.parse(readFileSync(join(dir, 'ecl.config.json'), 'utf8'))).toEqual({ workflows: ['src/workflows.ts'] });
  });

  it('depends on this version of ECL, and on the tsx, zod, typescript and @types/node ranges ECL uses', () => {
    const dir = folder();
    scaffoldProject(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      type: 'module',
      dependencies: { 'ecl-workflows': `^${eclPackage.version}`, zod: eclPackage.peerDependencies.zod },
      devDependencies: { tsx: eclPackage.dependencies.tsx },
    });
    expect(manifest.scripts.test).toBe('node --import tsx --test test/*.test.ts');
    // Real package names and plain ranges: an npm alias in ECL's own devDependencies is resolved to what it installs.
    for (const range of Object.values<string>(manifest.devDependencies)) expect(range).toMatch(/^[\^~]?\d/);
  });

  it('refuses a folder that is not empty, with a usage error that says what to do', () => {
    const dir = folder();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    let thrown: unknown;
    try {
      scaffoldProject(dir);
    } catch (error) {
      thrown = error;
    }
    expect(isUsageError(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(/is not empty \(notes\.txt\).*--force/);
  });

  it('takes a folder holding only .git as empty, and with --force writes beside what is there', () => {
    const dir = folder();
    mkdirSync(join(dir, '.git'));
    expect(scaffoldProject(dir).files).toContain('package.json');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'README.md'), 'old');
    scaffoldProject(dir, { force: true });
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# /);
  });

  it('names the package after the folder, as npm accepts names', () => {
    expect(packageNameOf('My Flows')).toBe('my-flows');
    expect(packageNameOf('.hidden_Project!')).toBe('hidden_project');
    expect(packageNameOf('___')).toBe('ecl-workflows-project');
  });
});
