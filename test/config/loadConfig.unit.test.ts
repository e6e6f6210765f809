import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveKeyId, loadConfig } from '../../src/config/index.js';
import { emptyDir, failure, withFile } from './support.js';

describe('loadConfig', () => {
  it('takes workflow modules from the file relative to the file, from ECL_WORKFLOWS and flags relative to the working directory', () => {
    const cwd = withFile({ workflows: ['src/flows.ts', '/abs/other.mjs'] });
    const other = emptyDir();
    expect(loadConfig({ env: {}, cwd, file: join(cwd, 'ecl.config.json') }).config.workflows).toEqual([join(cwd, 'src/flows.ts'), '/abs/other.mjs']);
    expect(loadConfig({ env: { ECL_CONFIG: join(cwd, 'ecl.config.json') }, cwd: other }).config.workflows).toEqual([
      join(cwd, 'src/flows.ts'),
      '/abs/other.mjs',
    ]);
    expect(loadConfig({ env: { ECL_WORKFLOWS: 'a.ts, b/c.mjs' }, cwd: other }).config.workflows).toEqual([join(other, 'a.ts'), join(other, 'b/c.mjs')]);
    const fromFlag = loadConfig({ env: { ECL_WORKFLOWS: 'a.ts' }, cwd, flags: { workflows: ['x.js'] } });
    expect(fromFlag.config.workflows).toEqual([join(cwd, 'x.js')]);
    expect(fromFlag.sources.workflows).toEqual({ kind: 'flag', flag: '--workflows' });
    expect(failure(() => loadConfig({ env: {}, cwd: withFile({ workflows: 'flows.ts' }) })).message).toMatch(/workflows/);
  });

  it('uses defaults when nothing is configured', () => {
    const { config, sources, file } = loadConfig({ env: {}, cwd: emptyDir() });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3000, inspectPort: 8080, apiKeys: [], bodyLimitBytes: 1024 * 1024, logFormat: 'auto' });
    expect(sources.port).toEqual({ kind: 'default' });
    expect(file).toBeUndefined();
  });

  it('reads ecl.config.json and lets ECL_* variables win, and flags win over both', () => {
    const cwd = withFile({ port: 4000, host: '0.0.0.0', logLevel: 'debug' });
    const { config, sources } = loadConfig({ env: { ECL_PORT: '5000' }, cwd, flags: { host: '127.0.0.2', store: undefined } });
    expect(config.port).toBe(5000);
    expect(sources.port).toEqual({ kind: 'env', variable: 'ECL_PORT' });
    expect(config.host).toBe('127.0.0.2');
    expect(sources.host).toEqual({ kind: 'flag', flag: '--host' });
    expect(config.logLevel).toBe('debug');
    expect(sources.logLevel).toEqual({ kind: 'file', path: join(cwd, 'ecl.config.json') });
  });

  it('parses ECL_API_KEYS with derived and explicit ids', () => {
    const { config } = loadConfig({ env: { ECL_API_KEYS: 'key1-secret-value-0001=tenantA, ops:key2-secret-value-0002=tenantB' }, cwd: emptyDir() });
    expect(config.apiKeys).toEqual([
      { id: deriveKeyId('key1-secret-value-0001'), key: 'key1-secret-value-0001', tenant: 'tenantA' },
      { id: 'ops', key: 'key2-secret-value-0002', tenant: 'tenantB' },
    ]);
  });

  it('names the key, the bad value and the env variable it came from', () => {
    const error = failure(() => loadConfig({ env: { ECL_PORT: 'eighty' }, cwd: emptyDir() }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.problems[0]).toMatchObject({ key: 'port', value: '"eighty"', source: { kind: 'env', variable: 'ECL_PORT' } });
    expect(error.message).toContain('ECL_PORT');
    expect(error.message).toContain('eighty');
  });

  it('names the file for a bad file value and for unknown keys', () => {
    const cwd = withFile({ port: 70000, colour: 'blue' });
    const error = failure(() => loadConfig({ env: {}, cwd }));
    const keys = error.problems.map((p) => p.key);
    expect(keys).toContain('port');
    expect(keys).toContain('colour');
    expect(error.problems.every((p) => p.source.kind === 'file')).toBe(true);
    expect(error.message).toContain('70000');
  });

  it('never echoes a secret in an error', () => {
    const error = failure(() => loadConfig({ env: { ECL_API_KEYS: 'supersecretvalue=bad:tenant' }, cwd: emptyDir() }));
    expect(error.problems[0]?.key).toBe('apiKeys[0].tenant');
    expect(error.message).not.toContain('supersecretvalue');
    const syntax = failure(() => loadConfig({ env: { ECL_API_KEYS: 'supersecretvalue' }, cwd: emptyDir() }));
    expect(syntax.message).not.toContain('supersecretvalue');
    expect(syntax.problems[0]?.source).toEqual({ kind: 'env', variable: 'ECL_API_KEYS' });
  });

  it('rejects duplicate key secrets', () => {
    const error = failure(() => loadConfig({ env: { ECL_API_KEYS: 'same-secret-value-0001=a,same-secret-value-0001=b' }, cwd: emptyDir() }));
    expect(error.problems[0]?.key).toBe('apiKeys[1]');
  });

  it('reports malformed JSON and an explicit missing file', () => {
    expect(failure(() => loadConfig({ env: {}, cwd: withFile('{ nope') })).code).toBe('CONFIG_FILE_UNREADABLE');
    expect(failure(() => loadConfig({ env: { ECL_CONFIG: 'missing.json' }, cwd: emptyDir() })).code).toBe('CONFIG_FILE_UNREADABLE');
  });
});
