import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as root from '../../src/index.js';
import * as server from '../../src/server.js';
import * as testing from '../../src/testing/index.js';
import * as client from '../../src/client.js';

/**
 * docs/reference.md is written by hand; this keeps it complete. Every runtime export of the four
 * entry points, and every name in their `export type { … }` lists, must appear in it as a heading
 * word or in code formatting (`name`, `name(…)`, `name<…>`).
 */
const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');
const reference = read('../../docs/reference.md');

const headings = new Set(
  reference
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .flatMap((line) => line.match(/[A-Za-z_$][\w$]*/g) ?? []),
);
const codeNames = new Set([...reference.matchAll(/`([A-Za-z_$][\w$]*)(?=[`(<.\s])/g)].map((match) => match[1] as string));
const documented = (name: string): boolean => headings.has(name) || codeNames.has(name);

/** The names of every `export type { … }` list of an entry file (type-only exports have no runtime trace). */
function typeExportsOf(source: string): string[] {
  const names: string[] = [];
  for (const list of source.matchAll(/export\s+type\s*\{([^}]*)\}/g)) {
    for (const specifier of (list[1] as string).split(',')) {
      const name = specifier
        .trim()
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
      if (name !== undefined && name !== '') names.push(name);
    }
  }
  return names;
}

const entries = [
  { entry: 'ecl-workflows', module: root as Record<string, unknown>, file: '../../src/index.ts' },
  { entry: 'ecl-workflows/server', module: server as Record<string, unknown>, file: '../../src/server.ts' },
  { entry: 'ecl-workflows/testing', module: testing as Record<string, unknown>, file: '../../src/testing/index.ts' },
  { entry: 'ecl-workflows/client', module: client as Record<string, unknown>, file: '../../src/client.ts' },
];

describe('docs/reference.md lists every export', () => {
  it.each(entries)('$entry: runtime exports', ({ module }) => {
    const names = Object.keys(module);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !documented(name))).toEqual([]);
  });

  it.each(entries)('$entry: type-only exports', ({ file }) => {
    const names = typeExportsOf(read(file));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !documented(name))).toEqual([]);
  });

  it('has a section per entry point', () => {
    for (const { entry } of entries) expect(reference).toContain(`## \`${entry}\``);
  });
});
