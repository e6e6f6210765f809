import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { createApiClient } from 'ecl-workflows/client';
import { remoteRun } from '../../src/cli/remote/remoteCommands.js';
import { createRegistry } from '../../src/machines/index.js';
import { KEYS, type TestServer, startTestServer } from './support/testServer.js';

const longNames = defineWorkflow({
  name: 'longNames',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'a', run: async () => 1 },
    { kind: 'produce', name: 'summarizeEveryTicket', run: async () => 2 },
  ],
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ definitions: createRegistry([longNames]) });
});
afterAll(async () => server.stop());

it('ecl run --server --follow aligns its columns to the longest step name of the definition, as the server has it', async () => {
  const api = createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });
  expect((await api.versions('longNames')).versions.map((version) => version.steps.map((step) => step.name))).toEqual([['a', 'summarizeEveryTicket']]);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
  try {
    expect(await remoteRun(api, { definition: 'longNames', input: {}, id: 'cols-1', follow: true })).toBe(0);
  } finally {
    log.mockRestore();
  }
  const transitions = printed.filter((line) => line.startsWith('  '));
  expect(transitions.map((line) => line.trim().split(/\s+/)[0])).toEqual(['workflow', 'a', 'a', 'summarizeEveryTicket', 'summarizeEveryTicket', 'workflow']);
  // Every line's third column (what happened) starts at the same place.
  expect(new Set(transitions.map((line) => line.search(/ (started|done|completed)/)))).toEqual(new Set([2 + 'summarizeEveryTicket'.length + 4]));
});
