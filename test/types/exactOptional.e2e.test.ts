import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { runProcess } from '../package/support/processes.js';

const REPO = resolve(import.meta.dirname, '../..');

/**
 * A project compiled with `exactOptionalPropertyTypes` against the built declarations (dist, as a
 * consumer sees them): an output schema with an optional field (`z.number().optional()`, typed
 * `number | undefined`) is JSON a step may record, and later steps read its type.
 */
it('an output schema with an optional field compiles under exactOptionalPropertyTypes', async () => {
  const tsc = await runProcess(join(REPO, 'node_modules/.bin/tsc'), ['-p', join(import.meta.dirname, 'exactOptional')], {
    cwd: REPO,
    env: process.env as Record<string, string>,
    timeoutMs: 120_000,
  });
  expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
  expect(tsc.code).toBe(0);
});
