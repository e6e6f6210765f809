import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, startEcl, tempFolder, waitFor } from './cliHarness.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempFolder());
});
afterAll(() => {
  killChildren();
  cleanup();
});

describe('ecl serve output', () => {
  it('with NO_COLOR=1 its log lines have no escape codes, and --inspect says the hosted inspector needs internet', async () => {
    const serve = startEcl(['serve', '--port', '0', '--inspect', '0', '--store', `sqlite:${join(dir, 'ecl.db')}`, '--llm', 'offline'], {
      cwd: dir,
      env: { NO_COLOR: '1', ECL_LOG_FORMAT: 'pretty' },
    });
    let stderr = '';
    serve.child.stderr.on('data', (chunk: string) => (stderr += chunk));
    await waitFor(() => /needs internet access/.test(stderr) && /ecl serve started/.test(stderr), serve.child, 'the first log lines and the inspector notice');
    process.kill(serve.child.pid!, 'SIGTERM');
    const result = await serve.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/info\s+ecl serve started/);
    expect(result.stderr).toMatch(/Stately inspector: open http:\/\/127\.0\.0\.1:\d+\/ — the inspector it embeds is hosted at https:\/\/stately\.ai\/inspect/);
    expect(result.stderr).toMatch(/ECL's own console, at \/console\/ of the API, works offline/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('\x1b[');
  });
});
