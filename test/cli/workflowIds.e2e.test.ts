import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { killChildren, runEcl, tempFolder } from './cliHarness.js';

// Issue 14, item 4: `ecl run --id` takes exactly the ids the API takes.

const cleanups: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

it('ecl run --id refuses bad/id, ../up and a tenant prefix with exit 2, before opening the store', async () => {
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  const store = join(dir, 'ecl.db');
  for (const id of ['bad/id', '../up', 'acme:planted']) {
    const run = await runEcl(['run', 'serial3', '--input', '{}', '--id', id, '--store', `sqlite:${store}`], { cwd: dir });
    expect(run.code, id).toBe(2);
    expect(run.stderr, id).toContain(`Invalid --id ${JSON.stringify(id)}: a workflow id is 1-128 letters, digits, _ . or -`);
    expect(run.stdout, id).not.toMatch(/Workflow /);
  }
  expect(existsSync(store)).toBe(false);
  const ok = await runEcl(['run', 'serial3', '--input', '{}', '--id', 'fine-1.x_y', '--store', `sqlite:${store}`], { cwd: dir });
  expect(ok.code).toBe(0);
});
