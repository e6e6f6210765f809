import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createApiClient } from 'ecl-workflows/client';
import { remoteRun } from '../../src/cli/remote/remoteCommands.js';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';
import { KEYS, type TestServer, startTestServer } from './support/testServer.js';

/** v1 greets by `name`; v2 renamed the field to `who`. Both stay registered. */
const v1 = defineWorkflow({
  name: 'greeter',
  version: 1,
  input: z.object({ name: z.string() }),
  steps: [{ kind: 'produce', name: 'greet', run: async (ctx) => `hello ${ctx.input.name} (v1)` }],
});
const v2 = defineWorkflow({
  name: 'greeter',
  version: 2,
  input: z.object({ who: z.string() }),
  steps: [{ kind: 'produce', name: 'greet', run: async (ctx) => `hello ${ctx.input.who} (v2)` }],
});

/** Two versions with the same input: v2 changed only its step. */
const echo = (version: number) =>
  defineWorkflow({
    name: 'echo',
    version,
    input: z.object({ text: z.string() }),
    steps: [{ kind: 'produce', name: 'say', run: async (ctx) => `${ctx.input.text} (v${version})` }],
  });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ definitions: createRegistry([v1, v2, echo(1), echo(2)]) });
});
afterAll(async () => server.stop());

describe('POST /v1/workflows with a version', () => {
  it('starts the newest by default, and a registered older version when asked, each checking its own input schema', async () => {
    const api = createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });
    expect(await api.run({ definition: 'greeter', input: { who: 'Ada' }, id: 'g-new' })).toMatchObject({
      finished: true,
      status: { version: 2, output: 'hello Ada (v2)' },
    });
    expect(await api.run({ definition: 'greeter', version: 1, input: { name: 'Ada' }, id: 'g-old' })).toMatchObject({
      finished: true,
      status: { version: 1, output: 'hello Ada (v1)' },
    });
    expect(await api.run({ definition: 'greeter', version: 2, input: { who: 'Bo' }, id: 'g-two' })).toMatchObject({ status: { version: 2 } });

    // v1's schema, not the newest's, checks v1's input: 400 naming the field.
    const wrongInput = await server.call('POST', '/v1/workflows', { key: KEYS.acme.key, body: { definition: 'greeter', version: 1, input: { who: 'Ada' } } });
    expect(wrongInput.status).toBe(400);
    expect(wrongInput.body).toMatchObject({
      code: 'INVALID_INPUT',
      detail: 'The input does not match the input schema of "greeter" v1',
      errors: [{ path: 'input.name' }],
    });

    // A client retrying, without a version, a start it made before v2 was deployed: the same start (200, on v1), not a 400 from v2's schema.
    const retried = await server.call('POST', '/v1/workflows', { key: KEYS.acme.key, body: { definition: 'greeter', input: { name: 'Ada' }, id: 'g-old' } });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ workflowId: 'g-old', version: 1, status: 'completed' });
    // With an id nobody used, the same input is v2's to judge: 400 naming the field.
    const fresh = await server.call('POST', '/v1/workflows', { key: KEYS.acme.key, body: { definition: 'greeter', input: { name: 'Ada' }, id: 'g-fresh' } });
    expect(fresh.status).toBe(400);
    expect(fresh.body).toMatchObject({
      code: 'INVALID_INPUT',
      detail: 'The input does not match the input schema of "greeter" v2',
      errors: [{ path: 'input.who' }],
    });

    const unknown = await server.call('POST', '/v1/workflows', { key: KEYS.acme.key, body: { definition: 'greeter', version: 3, input: {} } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_DEFINITION', errors: [{ path: 'version' }] });

    const notAVersion = await server.call('POST', '/v1/workflows', { key: KEYS.acme.key, body: { definition: 'greeter', version: 0, input: {} } });
    expect(notAVersion.status).toBe(400);
    expect(notAVersion.body).toMatchObject({ code: 'INVALID_BODY' });
  });

  it('ecl run --server --definition-version starts that version', async () => {
    const api = createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      expect(await remoteRun(api, { definition: 'greeter', version: 1, input: { name: 'Cy' }, id: 'g-cli', follow: false })).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(await api.get('g-cli')).toMatchObject({ version: 1, status: 'completed', output: 'hello Cy (v1)' });

    // The same id again, asking for v2: it is the v1 workflow, and the command says so.
    const again: string[] = [];
    const log2 = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void again.push(String(line)));
    try {
      expect(await remoteRun(api, { definition: 'greeter', version: 2, input: undefined, id: 'g-cli', follow: false })).toBe(0);
      // A start with an input both versions accept, on an id that exists on v1: that workflow is the answer.
      expect(await remoteRun(api, { definition: 'echo', version: 1, input: { text: 'hi' }, id: 'e-1', follow: false })).toBe(0);
      expect(await remoteRun(api, { definition: 'echo', version: 2, input: { text: 'hi' }, id: 'e-1', follow: false })).toBe(0);
    } finally {
      log2.mockRestore();
    }
    const notes = again.filter((line) => line.includes('not v2: a workflow keeps the version that started it'));
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^Already completed: greeter v1 /);
    expect(notes[1]).toMatch(/^Already completed: echo v1 /);
  });
});
