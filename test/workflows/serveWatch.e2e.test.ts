import { writeFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { killChildren, startEcl, waitFor } from '../cli/cliHarness.js';
import { definitionSource, userProject } from './support.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

it('ecl serve --watch: an edited module serves new starts with the new code; a broken edit keeps the old one', async () => {
  const project = userProject();
  cleanups.push(project.cleanup);
  const file = project.write('flows.mjs', definitionSource('alpha', 1));
  const ecl = startEcl(['serve', '--watch', '--workflows', file, '--store', 'memory:', '--port', '0'], { cwd: project.dir, env: { ECL_LOG_FORMAT: 'json' } });
  await waitFor(() => /Recovered: /.test(ecl.output()), ecl.child, 'the start banner');
  expect(ecl.output()).toMatch(/Workflows: alpha \(v1\) from 1 module\(s\), reloaded on change/);
  // `ecl definitions` reads modules, not the server: the hint repeats the ones given by flag.
  await waitFor(() => /# names, steps and input schemas/.test(ecl.output()), ecl.child, 'the hints');
  expect(ecl.output()).toMatch(/\n {2}npx ecl definitions --workflows flows\.mjs +# names, steps and input schemas\n/);
  const url = /ECL API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(ecl.output())![1]!;
  const start = async (id: string) => {
    const response = await fetch(`${url}/v1/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ definition: 'alpha', id, input: {} }),
    });
    expect(response.status).toBe(201);
    for (let tries = 0; tries < 200; tries++) {
      const view = (await (await fetch(`${url}/v1/workflows/${id}`)).json()) as { status: string; version: number; output: unknown };
      if (view.status === 'completed') return view;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`${id} did not complete`);
  };
  const versions = async () => ((await (await fetch(`${url}/v1/definitions`)).json()) as { definitions: Array<{ name: string; version: number }> }).definitions;

  expect(await start('first')).toMatchObject({ version: 1, output: 'two v1' });

  let stderr = '';
  ecl.child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  writeFileSync(file, definitionSource('alpha', 2));
  await waitFor(() => stderr.includes('Workflow modules reloaded'), ecl.child, 'the reload');
  expect(await versions()).toEqual([expect.objectContaining({ name: 'alpha', version: 2 })]);
  expect(await start('second')).toMatchObject({ version: 2, output: 'two v2' });

  writeFileSync(file, 'export const broken = ;');
  await waitFor(() => stderr.includes('Workflow modules not reloaded'), ecl.child, 'the refused reload');
  expect(stderr).toMatch(/Workflow module flows\.mjs failed to load|flows\.mjs/);
  expect(await start('third')).toMatchObject({ version: 2, output: 'two v2' });
});
