import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsumerProject, createConsumerProject, described, eclDependencyRange } from './support/consumerProject.js';
import { packedPackage } from './support/packedPackage.js';
import { killStarted } from './support/processes.js';
import { runOverHttp } from './support/serveOverHttp.js';
import { JS_WORKFLOW, TS_WORKFLOW } from './support/workflowFixtures.js';

/**
 * The packed package, installed outside the repo, running workflow modules a user wrote: through
 * `ecl run`, through `ecl serve` and HTTP, replayed with `ecl replay --verify`, and tested with
 * `ecl-workflows/testing` under node's own test runner. Then modules that cannot be used.
 */
let project: ConsumerProject;

beforeAll(async () => {
  const { tarball } = await packedPackage();
  project = await createConsumerProject({
    name: 'modules',
    packageJson: { name: 'greetings', private: true, type: 'module' },
    files: {
      [JS_WORKFLOW.module]: JS_WORKFLOW.source,
      [JS_WORKFLOW.test.path]: JS_WORKFLOW.test.source,
      [TS_WORKFLOW.module]: TS_WORKFLOW.source,
      [TS_WORKFLOW.test.path]: TS_WORKFLOW.test.source,
    },
    dependencies: [tarball, `zod@${eclDependencyRange('zod')}`, `tsx@${eclDependencyRange('tsx')}`],
  });
}, 400_000);

afterAll(() => {
  killStarted();
  project?.cleanup();
});

describe.each([
  { language: 'JavaScript', workflow: JS_WORKFLOW, testCommand: ['--test', JS_WORKFLOW.test.path] },
  { language: 'TypeScript', workflow: TS_WORKFLOW, testCommand: ['--import', 'tsx', '--test', TS_WORKFLOW.test.path] },
])('a $language workflow module', ({ workflow, testCommand }) => {
  const modules = ['--workflows', workflow.module];

  it('runs to completion with ecl run, and replays with --verify', async () => {
    const id = `${workflow.definition}-cli`;
    const run = await project.ecl(['run', workflow.definition, ...modules, '--input', '{"name":"Ada"}', '--id', id, '--follow']);
    expect(run.code, described(run)).toBe(0);
    expect(run.stdout).toMatch(/check +#1 +revise +"Punctuate it\."/);
    expect(run.stdout).toMatch(/check +#2 +approve/);
    expect(run.stdout).toMatch(/Completed [\w-]+-cli/);

    const replay = await project.ecl(['replay', id, ...modules, '--verify']);
    expect(replay.code, described(replay)).toBe(0);
  });

  it('runs to completion through ecl serve and the HTTP API, and replays with --verify', async () => {
    const id = `${workflow.definition}-http`;
    const http = await runOverHttp(project, modules, { definition: workflow.definition, input: { name: 'Grace' }, id });
    expect(http.created).toBe(201);
    expect(http.view).toMatchObject({ status: 'completed', output: { greeting: 'Hello, Grace!' } });
    expect(http.serve.code, described(http.serve)).toBe(0);

    const replay = await project.ecl(['replay', id, ...modules, '--verify', '--json']);
    expect(replay.code, described(replay)).toBe(0);
  });

  it("is tested with ecl-workflows/testing under the project's own runner (node --test)", async () => {
    const result = await project.run(process.execPath, testCommand);
    expect(result.code, described(result)).toBe(0);
    expect(result.stdout).toMatch(/# pass 3/);
  });
});

describe('workflow modules that cannot be used: exit 2, the file and the reason named, the store untouched', () => {
  const listJson = async () => {
    const list = await project.ecl(['list', '--json']);
    expect(list.code, described(list)).toBe(0);
    return JSON.parse(list.stdout) as unknown;
  };

  beforeAll(() => {
    project.write('bad/throws.mjs', "throw new Error('boom at import');\n");
    project.write('bad/empty.mjs', 'export const notAWorkflow = 42;\n');
    // Another definition under the same name and version (the same source, so another object).
    project.write('bad/copy.mjs', JS_WORKFLOW.source);
    project.write('bad/reexport.mjs', "export { greeting } from '../workflows/greeting.mjs';\n");
  });

  it('a module re-exporting a definition another module exports registers it once (v1 kept beside v2)', async () => {
    const listed = await project.ecl(['definitions', '--workflows', JS_WORKFLOW.module, '--workflows', 'bad/reexport.mjs']);
    expect(listed.code, described(listed)).toBe(0);
    expect(listed.stdout).toContain(JS_WORKFLOW.definition);
  });

  it.each([
    { case: 'a missing file', modules: ['bad/missing.mjs'], message: /bad\/missing\.mjs.*no such file/ },
    { case: 'a module that throws on import', modules: ['bad/throws.mjs'], message: /bad\/throws\.mjs failed to load: boom at import/ },
    { case: 'a module with no definition', modules: ['bad/empty.mjs'], message: /bad\/empty\.mjs exports no workflow definition/ },
    {
      case: 'two modules defining the same name and version',
      modules: [JS_WORKFLOW.module, 'bad/copy.mjs'],
      message: /js_greeting v1 is defined twice: in workflows\/greeting\.mjs and in bad\/copy\.mjs/,
    },
  ])('$case', async ({ modules, message }) => {
    const before = await listJson();
    const args = modules.flatMap((module) => ['--workflows', module]);
    const run = await project.ecl(['run', JS_WORKFLOW.definition, ...args, '--id', 'never-started']);
    expect(run.code, described(run)).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await listJson()).toEqual(before);

    // In a fresh folder, the default store is not even created.
    const fresh = join(project.dir, 'fresh');
    mkdirSync(fresh, { recursive: true });
    const elsewhere = await project.ecl(['run', JS_WORKFLOW.definition, ...modules.flatMap((module) => ['--workflows', join('..', module)])], { cwd: fresh });
    expect(elsewhere.code, described(elsewhere)).toBe(2);
    expect(existsSync(join(fresh, '.ecl'))).toBe(false);
  });
});

describe('a TypeScript workflow module in a CommonJS package (no "type": "module", as npm init makes it)', () => {
  let commonJs: ConsumerProject;

  beforeAll(async () => {
    const { tarball } = await packedPackage();
    commonJs = await createConsumerProject({
      name: 'commonjs',
      packageJson: { name: 'greetings-cjs', private: true },
      files: { [TS_WORKFLOW.module]: TS_WORKFLOW.source },
      dependencies: [tarball, `zod@${eclDependencyRange('zod')}`],
    });
  }, 400_000);

  afterAll(() => commonJs?.cleanup());

  it('loads and runs to completion with ecl run, and replays with --verify', async () => {
    const modules = ['--workflows', TS_WORKFLOW.module];
    const run = await commonJs.ecl(['run', TS_WORKFLOW.definition, ...modules, '--input', '{"name":"Ada"}', '--id', 'cjs-1']);
    expect(run.code, described(run)).toBe(0);
    expect(run.stdout).toMatch(/Completed cjs-1/);
    const replay = await commonJs.ecl(['replay', 'cjs-1', ...modules, '--verify']);
    expect(replay.code, described(replay)).toBe(0);
  });
});
