import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROBLEM_CODES, PROBLEM_STATUS } from '../../src/api/index.js';

describe('docs/api.md', () => {
  it('its table of problems lists every code the API answers with, under its status, and no other', () => {
    const table = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => /^\| \d{3}( \/ \d{3})? \|/.test(line));
    const documented = new Map<string, string>();
    for (const line of table) {
      const [, statuses = '', codes = ''] = line.split('|').map((cell) => cell.trim());
      for (const [, code] of codes.matchAll(/`([A-Z_]+)`/g)) documented.set(code as string, statuses);
    }
    for (const code of PROBLEM_CODES) expect(documented.get(code), code).toContain(String(PROBLEM_STATUS[code]));
    expect([...documented.keys()].filter((code) => !(PROBLEM_CODES as string[]).includes(code))).toEqual([]);
  });
});
