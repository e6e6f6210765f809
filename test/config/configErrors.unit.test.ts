import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostProblem, loadConfig, pathProblem } from '../../src/config/index.js';
import { emptyDir, failure, withFile } from './support.js';

// Issue 14, item 6: every configuration mistake names the key, where the value came from and what is wrong.

describe('configuration errors name the key, the source and the reason', () => {
  it('refuses a host that is neither an IP address nor a host name', () => {
    for (const host of ['not a host!', '999.1.1.1', 'http://127.0.0.1', '[::1]', '1.2.3', 'a..b', '-x.example']) {
      const error = failure(() => loadConfig({ env: { ECL_HOST: host }, cwd: emptyDir() }));
      expect(error.problems, host).toEqual([
        expect.objectContaining({
          key: 'host',
          value: JSON.stringify(host),
          source: { kind: 'env', variable: 'ECL_HOST' },
          message: expect.stringMatching(/^invalid host/),
        }),
      ]);
      expect(error.message, host).toContain('ECL_HOST');
    }
    for (const host of ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'ecl.internal', 'my-host-1', '10.0.0.255']) {
      expect(hostProblem(host), host).toBeUndefined();
      expect(loadConfig({ env: { ECL_HOST: host }, cwd: emptyDir() }).config.host).toBe(host);
    }
  });

  it('reports an invalid port in the config file even when --port overrides it', () => {
    const cwd = withFile({ port: 'eighty' });
    const error = failure(() => loadConfig({ env: {}, cwd, flags: { port: 3001 } }));
    expect(error.problems).toEqual([expect.objectContaining({ key: 'port', value: '"eighty"', source: { kind: 'file', path: join(cwd, 'ecl.config.json') } })]);
    // And a bad variable under a good flag, the same way.
    const env = failure(() => loadConfig({ env: { ECL_PORT: '99999' }, cwd: emptyDir(), flags: { port: 3001 } }));
    expect(env.problems).toEqual([expect.objectContaining({ key: 'port', source: { kind: 'env', variable: 'ECL_PORT' } })]);
  });

  it('refuses an API key secret shorter than 16 characters, and says so without showing it', () => {
    const error = failure(() => loadConfig({ env: { ECL_API_KEYS: 'x=acme' }, cwd: emptyDir() }));
    expect(error.problems).toEqual([
      expect.objectContaining({
        key: 'apiKeys[0].key',
        value: '<redacted>',
        source: { kind: 'env', variable: 'ECL_API_KEYS' },
        message: expect.stringMatching(/at least 16 characters/),
      }),
    ]);
    expect(loadConfig({ env: { ECL_API_KEYS: 'sixteen-chars-ok=acme' }, cwd: emptyDir() }).config.apiKeys).toHaveLength(1);
  });

  it('refuses an empty ECL_HOST, ECL_STORE or ECL_LLM (unset it for the default); an empty list variable means none', () => {
    for (const variable of ['ECL_HOST', 'ECL_STORE', 'ECL_LLM', 'ECL_PORT', 'ECL_ARTIFACTS_DIR']) {
      const error = failure(() => loadConfig({ env: { [variable]: '' }, cwd: emptyDir() }));
      expect(error.problems, variable).toEqual([
        expect.objectContaining({ value: '""', source: { kind: 'env', variable }, message: expect.stringMatching(/is empty: unset/) }),
      ]);
    }
    const { config } = loadConfig({ env: { ECL_WORKFLOWS: '', ECL_API_KEYS: '' }, cwd: emptyDir() });
    expect(config.workflows).toBeUndefined();
    expect(config.apiKeys).toEqual([]);
  });

  it('refuses headersTimeoutMs above requestTimeoutMs, naming it', () => {
    const error = failure(() => loadConfig({ env: { ECL_HEADERS_TIMEOUT_MS: '5000', ECL_REQUEST_TIMEOUT_MS: '1000' }, cwd: emptyDir() }));
    expect(error.problems).toEqual([
      expect.objectContaining({ key: 'headersTimeoutMs', source: { kind: 'env', variable: 'ECL_HEADERS_TIMEOUT_MS' } }),
      expect.objectContaining({ key: 'requestTimeoutMs', source: { kind: 'env', variable: 'ECL_REQUEST_TIMEOUT_MS' } }),
    ]);
  });

  it('tells a path that cannot be created from one that can, creating nothing', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'a-file'), '');
    expect(pathProblem(join(dir, 'a-file', 'artifacts'), 'folder')).toMatch(/cannot be created: .*a-file is a file/);
    expect(pathProblem(join(dir, 'a-file', 'deeper', 'x.db'), 'file')).toMatch(/a-file is a file/);
    expect(pathProblem(join(dir, 'a-file'), 'folder')).toMatch(/is not a folder/);
    expect(pathProblem(dir, 'file')).toMatch(/is a folder, not a file/);
    expect(pathProblem(join(dir, 'new', 'folder'), 'folder')).toBeUndefined();
    expect(pathProblem(join(dir, 'new', 'x.projections.db'), 'file')).toBeUndefined();
  });
});
