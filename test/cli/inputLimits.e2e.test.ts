import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { killChildren, runEcl, tempFolder } from './cliHarness.js';

// Issue 14, item 1, at the CLI: an input or command data nested too deeply, or repeating a key, is
// refused with exit 2 and a clear message, as the API refuses it with a 400; nothing is written.

const cleanups: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

it('ecl run --input and ecl send --data refuse deep nesting and duplicate keys with exit 2', async () => {
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  const store = `sqlite:${join(dir, 'ecl.db')}`;
  writeFileSync(join(dir, 'deep.json'), `{"a":${'['.repeat(5_000)}${']'.repeat(5_000)}}`);

  const deepFile = await runEcl(['run', 'serial3', '--input', '@deep.json', '--store', store], { cwd: dir });
  expect(deepFile.code).toBe(2);
  expect(deepFile.stderr).toMatch(/^The deep\.json is not accepted: arrays and objects nested more than 64 levels deep at a\[0\]\[0\]/);
  expect(deepFile.stderr).not.toMatch(/RangeError|\n\s+at /);

  const deepInline = await runEcl(['run', 'serial3', '--input', `${'['.repeat(65)}${']'.repeat(65)}`, '--store', store], { cwd: dir });
  expect(deepInline.code).toBe(2);
  expect(deepInline.stderr).toMatch(/more than 64 levels/);

  const duplicate = await runEcl(['run', 'serial3', '--input', '{"a":1,"a":2}', '--store', store], { cwd: dir });
  expect(duplicate.code).toBe(2);
  expect(duplicate.stderr).toMatch(/duplicate key "a" at a/);

  const data = await runEcl(['send', 'w1', 'REQUEST_REVISION', '--data', '{"feedback":"x","feedback":"y"}', '--store', store], { cwd: dir });
  expect(data.code).toBe(2);
  expect(data.stderr).toMatch(/The --data value is not accepted: duplicate key "feedback"/);

  // ECL_MAX_JSON_DEPTH moves the limit for the CLI as for the server.
  const raised = await runEcl(['run', 'serial3', '--input', `{"a":${'['.repeat(70)}${']'.repeat(70)}}`, '--store', store], {
    cwd: dir,
    env: { ECL_MAX_JSON_DEPTH: '100' },
  });
  expect(raised.stderr).not.toMatch(/levels/);
  expect(existsSync(join(dir, 'ecl.db'))).toBe(true);
});
