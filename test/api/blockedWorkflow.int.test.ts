import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflowStream } from '../../src/eventstore/index.js';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';
import { eventually, startTestServer, type TestServer } from './support/testServer.js';

/** v1 waits at a gate; v2 has changed its steps. A server that registers only v2 cannot run v1's workflows. */
const v1 = defineWorkflow({
  name: 'review',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'draft', run: async () => 'draft' },
    { kind: 'approval', name: 'signoff' },
  ],
});
const v2 = defineWorkflow({
  name: 'review',
  version: 2,
  input: z.object({}),
  steps: [{ kind: 'produce', name: 'draft', run: async () => 'draft v2' }],
});

const dir = mkdtempSync(join(tmpdir(), 'ecl-blocked-'));
const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a command to a workflow whose version this server does not register', () => {
  it('is a 409 saying it is blocked (not a 500), and records nothing', async () => {
    const first = await startTestServer({ dir, definitions: createRegistry([v1]) });
    servers.push(first);
    expect((await first.call('POST', '/v1/workflows', { body: { definition: 'review', input: {}, id: 'r1' } })).status).toBe(201);
    await eventually(async () => ((await first.call('GET', '/v1/workflows/r1')).body?.status === 'waiting' ? true : undefined), 'r1 waiting');
    await first.stop();

    const second = await startTestServer({ dir, definitions: createRegistry([v2]) });
    servers.push(second);
    const raw = async () =>
      JSON.stringify(await second.store.readStream(workflowStream('acme:r1')), (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
    const before = await raw();
    expect((await second.call('GET', '/v1/workflows/r1')).body).toMatchObject({
      status: 'blocked',
      accepts: [],
      reason: expect.stringMatching(/^definition review version 1 is not registered/),
    });
    const approve = await second.call('POST', '/v1/workflows/r1/events', { body: { type: 'APPROVE', data: { note: 'ok' } } });
    expect(approve.status).toBe(409);
    expect(approve.body).toMatchObject({
      code: 'EVENT_NOT_ACCEPTED',
      detail:
        'The workflow is blocked: the definition version that started it is not registered on this server, so it accepts nothing until a server with that version runs it (its status gives the reason)',
      state: 'blocked',
      accepts: [],
    });
    expect(await raw()).toBe(before);
  });
});
