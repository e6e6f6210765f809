import { afterAll, describe, expect, it } from 'vitest';
import { runEcl, tempFolder } from './cliHarness.js';

describe('ecl definitions', () => {
  const { dir, cleanup } = tempFolder();
  afterAll(cleanup);

  it('lists each registered definition with its versions, module, steps and input schema', async () => {
    const text = await runEcl(['definitions'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('brief v1 — Extract facts from documents');
    expect(text.stdout).toContain('steps:  extract (produce) → draft (produce) → review (validate) → approval (approval) → load (produce)');
    expect(text.stdout).toMatch(/maxIterations\?: integer = 3/);

    const json = await runEcl(['definitions', '--json'], { cwd: dir });
    const { definitions } = JSON.parse(json.stdout) as {
      definitions: Array<{ name: string; version: number; module: string; steps: unknown[]; input: { required: string[] } }>;
    };
    expect(definitions.map((definition) => `${definition.name}@${definition.version}`)).toEqual(['brief@1', 'serial3@1']);
    expect(definitions[0]?.module).toMatch(/examples\/brief\/brief\.ts$/);
    expect(definitions[0]?.input.required).toEqual(['instructions', 'documents']);
  });

  it('with no module loaded, says how to load one', async () => {
    const none = await runEcl(['definitions'], { cwd: dir, env: { ECL_WORKFLOWS: '' } });
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^No workflow definitions: pass --workflows <module>/);
    const run = await runEcl(['run', 'brief', '--input', '{}'], { cwd: dir, env: { ECL_WORKFLOWS: '' } });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'Unknown workflow definition "brief": no workflow module is loaded (pass --workflows <module>, or set "workflows" in ecl.config.json or ECL_WORKFLOWS)',
    );
    expect(run.stdout).toBe('');
  });

  it('says that a configured server (ECL_SERVER) is not used by it, and answers from this machine', async () => {
    const text = await runEcl(['definitions'], { cwd: dir, env: { ECL_SERVER: 'http://127.0.0.1:9' } });
    expect(text.code).toBe(0);
    expect(text.stderr.trim()).toBe(
      "Note: the server http://127.0.0.1:9 is configured, but ecl definitions does not use it: it reads this machine's store and workflow modules.",
    );
    expect(text.stdout).toContain('brief v1 — Extract facts from documents');
    expect((await runEcl(['definitions'], { cwd: dir })).stderr).toBe('');
  });
});
