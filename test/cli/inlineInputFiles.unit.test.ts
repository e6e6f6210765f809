import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inlineInputFiles, inputBaseDir } from '../../src/cli/inlineInputFiles.js';

describe('inlineInputFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecl-inline-'));
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'a.md'), 'alpha ✓');

  it('reads files relative to the base folder into inline documents', () => {
    expect(inlineInputFiles({ instructions: 'x', files: ['docs/a.md'], maxIterations: 2 }, dir)).toEqual({
      instructions: 'x',
      maxIterations: 2,
      documents: [{ name: 'a.md', text: 'alpha ✓' }],
    });
  });

  it('leaves inputs without files, or with documents already, untouched', () => {
    const withDocuments = { files: ['docs/a.md'], documents: [] };
    expect(inlineInputFiles(withDocuments, dir)).toBe(withDocuments);
    expect(inlineInputFiles({ instructions: 'x' }, dir)).toEqual({ instructions: 'x' });
    expect(inlineInputFiles([1, 2], dir)).toEqual([1, 2]);
  });

  it('names the missing file and the folder it looked in', () => {
    expect(() => inlineInputFiles({ files: ['docs/missing.md'] }, dir)).toThrow(/docs\/missing\.md.*ENOENT/);
  });

  it('takes relative paths from the @file folder, else the working directory', () => {
    expect(inputBaseDir(`@${join(dir, 'input.json')}`)).toBe(dir);
    expect(inputBaseDir('{"files":[]}')).toBe(process.cwd());
    expect(inputBaseDir('@-')).toBe(process.cwd());
  });
});
