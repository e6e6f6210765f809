import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { runProcess } from '../package/support/processes.js';

const REPO = resolve(import.meta.dirname, '../..');

/**
 * A project compiled with `exactOptionalPropertyTypes` against the built declarations (dist, as a
 * consumer sees them): an output schema with an optional field (`z.number().optional()`, typed
 * `number | undefined`) is JSON a step may record, and later steps read its type; and a value that
 * may be undefined passes for an optional option (`ctx.complete`'s, `run`'s, `send`'s, the
 * scripted model's, the test engine's) without a conditional spread.
 */
it('optional output fields and maybe-undefined options compile under exactOptionalPropertyTypes', async () => {
  const tsc = await runProcess(join(REPO, 'node_modules/.bin/tsc'), ['-p', join(import.meta.dirname, 'exactOptional')], {
    cwd: REPO,
    env: process.env as Record<string, string>,
    timeoutMs: 120_000,
  });
  expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
  expect(tsc.code).toBe(0);
});
