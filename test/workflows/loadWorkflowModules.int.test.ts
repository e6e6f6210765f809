import { afterEach, describe, expect, it } from 'vitest';
import { isWorkflowModuleError, loadWorkflowModules } from '../../src/workflows/index.js';
import { definitionSource, userProject } from './support.js';

const projects: Array<{ cleanup: () => void }> = [];
const project = () => {
  const created = userProject();
  projects.push(created);
  return created;
};
afterEach(() => {
  for (const created of projects.splice(0)) created.cleanup();
});

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isWorkflowModuleError(error)) throw new Error(`expected a WorkflowModuleError, got ${String(error)}`);
  return error;
};

describe('loadWorkflowModules', () => {
  it('registers every exported definition of .mjs, .js and .ts modules: named, default and in arrays, every version', async () => {
    const { dir, write } = project();
    write('one.mjs', definitionSource('alpha'));
    write('two.js', `${definitionSource('beta', 1, 'export default wf;')}`);
    write('three.ts', `${definitionSource('gamma', 2, 'export const all = [wf];')}\nexport const typed: number = 1;`);
    write('four.mjs', `import { alphaWorkflow } from './one.mjs';\n${definitionSource('alpha', 2, 'export { wf as alpha2, alphaWorkflow as again };')}`);
    const loaded = await loadWorkflowModules(['one.mjs', 'two.js', 'three.ts'], { cwd: dir });
    expect(loaded.registry.names()).toEqual(['alpha', 'beta', 'gamma']);
    expect(loaded.registry.get('gamma')?.version).toBe(2);
    expect(loaded.sources.get('beta@1')).toBe(`${dir}/two.js`);

    // The same definition object exported twice (re-exported from another module) is one definition.
    const versions = await loadWorkflowModules(['four.mjs'], { cwd: dir });
    expect(versions.registry.versions('alpha')).toEqual([1, 2]);
    // Also across the modules listed: v1's module and the v2 module that keeps v1 exported beside it.
    const both = await loadWorkflowModules(['one.mjs', 'four.mjs'], { cwd: dir });
    expect(both.registry.versions('alpha')).toEqual([1, 2]);
    expect(both.sources.get('alpha@1')).toBe(`${dir}/one.mjs`);
  });

  it('names the file and the reason: missing, throwing on import, no definition, the same name and version twice', async () => {
    const { dir, write } = project();
    write('ok.mjs', definitionSource('alpha'));
    write('throws.mjs', "throw new Error('database password missing');");
    write('empty.mjs', 'export const notADefinition = { name: "x", version: 1 };');
    write('clash.mjs', definitionSource('alpha', 1, 'export default wf;'));
    write('syntax.ts', 'export const = ;');
    // Two different definitions of one name and version in one module: the message names both exports.
    write(
      'twice.mjs',
      `${definitionSource('alpha', 1, 'export const draft = wf;')}\nexport const copy = defineWorkflow({ name: 'alpha', version: 1, input: z.object({}), steps: [{ kind: 'produce', name: 'x', run: async () => 'x' }] });`,
    );

    const missing = await failure(loadWorkflowModules(['nope.mjs'], { cwd: dir }));
    expect(missing.code).toBe('MODULE_NOT_FOUND');
    expect(missing.message).toBe('Workflow module nope.mjs: no such file');

    const throwing = await failure(loadWorkflowModules(['throws.mjs'], { cwd: dir }));
    expect(throwing.code).toBe('MODULE_FAILED');
    expect(throwing.message).toBe('Workflow module throws.mjs failed to load: database password missing');

    const syntax = await failure(loadWorkflowModules(['syntax.ts'], { cwd: dir }));
    expect(syntax.message).toMatch(/^Workflow module syntax\.ts failed to load: /);
    // Where: the compiler's own lines, with the file, line and column, and no terminal colours.
    expect(syntax.message).toMatch(/syntax\.ts:1:\d+/);
    expect(syntax.message).not.toContain('\x1b[');

    const empty = await failure(loadWorkflowModules(['empty.mjs'], { cwd: dir }));
    expect(empty.code).toBe('NO_DEFINITIONS');
    expect(empty.message).toMatch(/^Workflow module empty\.mjs exports no workflow definition/);

    const clash = await failure(loadWorkflowModules(['ok.mjs', 'clash.mjs'], { cwd: dir }));
    expect(clash.code).toBe('DUPLICATE_DEFINITION');
    expect(clash.message).toBe('Workflow alpha v1 is defined twice: in ok.mjs and in clash.mjs (give one of them another name or version)');
    const twice = await failure(loadWorkflowModules(['twice.mjs'], { cwd: dir }));
    expect(twice.message).toBe('Workflow alpha v1 is defined twice: in twice.mjs (exports draft and copy) (give one of them another name or version)');
  });

  it('with no module, registers nothing', async () => {
    const loaded = await loadWorkflowModules([]);
    expect(loaded.registry.list()).toEqual([]);
  });
});
