import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { type WatchedWorkflowModules, watchWorkflowModules } from '../../src/workflows/index.js';
import { definitionSource, userProject } from './support.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: Array<{ level: string; message: string; reason?: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: string; message: string });
      done();
    },
  });
  return { lines, logger: winston.createLogger({ level: 'info', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] }) };
}

async function watched(source: string): Promise<{ file: string; modules: WatchedWorkflowModules; lines: ReturnType<typeof recordingLogger>['lines'] }> {
  const project = userProject();
  cleanups.push(project.cleanup);
  const file = project.write('flows.mjs', source);
  const { lines, logger } = recordingLogger();
  const modules = await watchWorkflowModules([file], { logger, debounceMs: 20 });
  cleanups.push(() => modules.close());
  return { file, modules, lines };
}

const stepOutput = async (modules: WatchedWorkflowModules, version?: number) => {
  const activity = modules.registry.get('alpha', version)?.activity('one');
  return activity?.run({} as never);
};

describe('watchWorkflowModules (ecl serve --watch)', () => {
  it('new code replaces the old; a new version joins the versions running workflows keep', async () => {
    const { file, modules } = await watched(definitionSource('alpha', 1));
    expect(await stepOutput(modules)).toBe('one v1');

    writeFileSync(file, definitionSource('alpha', 2));
    expect(await modules.reload()).toBe(true);
    expect(modules.registry.versions('alpha')).toEqual([1, 2]);
    expect(await stepOutput(modules)).toBe('one v2');
    expect(await stepOutput(modules, 1)).toBe('one v1');
  });

  it('a changed version is told the first free version number, not one that is taken', async () => {
    const { file, modules, lines } = await watched(definitionSource('alpha', 1));
    writeFileSync(file, definitionSource('alpha', 2));
    expect(await modules.reload()).toBe(true);
    writeFileSync(file, definitionSource('alpha', 1, undefined, ['one', 'two', 'three']));
    expect(await modules.reload()).toBe(false);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', reason: expect.stringMatching(/steps of alpha v1 changed.*give the changed definition version 3$/) });
  });

  it('a module that fails to load, or changed steps under the same version, keep the previous modules and log why', async () => {
    const { file, modules, lines } = await watched(definitionSource('alpha', 1));
    const before = modules.registry.get('alpha');

    writeFileSync(file, "throw new Error('half-saved file');");
    expect(await modules.reload()).toBe(false);
    expect(modules.registry.get('alpha')).toBe(before);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', reason: expect.stringContaining('half-saved file') });

    writeFileSync(file, definitionSource('alpha', 1, undefined, ['one', 'two', 'three']));
    expect(await modules.reload()).toBe(false);
    expect(modules.registry.get('alpha')).toBe(before);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', reason: expect.stringMatching(/steps of alpha v1 changed.*version 2/) });
  });

  it('reloads by itself when the file changes', async () => {
    const { file, modules, lines } = await watched(definitionSource('alpha', 1));
    writeFileSync(file, definitionSource('alpha', 3));
    for (let waited = 0; !lines.some((line) => line.message === 'Workflow modules reloaded') && waited < 200; waited++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(modules.registry.versions('alpha')).toEqual([1, 3]);
  });
});
