import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { createRegistry } from '../../src/machines/index.js';
import { startTestServer, type TestServer } from './support/testServer.js';

// The body limit can be raised past what the store records in one append (1 MiB): such an input
// is the caller's mistake, named as such, not a 500.
const notes = defineWorkflow({
  name: 'notes',
  version: 1,
  input: z.object({ text: z.string() }),
  steps: [{ kind: 'produce', name: 'count', run: async (ctx) => ctx.input.text.length }],
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ definitions: createRegistry([notes]), env: { ECL_BODY_LIMIT_BYTES: '4000000' } });
});
afterAll(async () => {
  await server.stop();
});

it("a start whose input is over the store's append limit is a 413 naming the input and the limit, and records nothing", async () => {
  const started = await server.call('POST', '/v1/workflows', { body: { definition: 'notes', id: 'big-1', input: { text: 'x'.repeat(1_400_000) } } });
  expect(started.status).toBe(413);
  expect(started.body).toMatchObject({
    code: 'PAYLOAD_TOO_LARGE',
    detail: expect.stringMatching(
      /^The input of notes is too large to record: its start event is \d+ bytes, over the store's limit of 1048576 bytes for one append\. Pass large documents by reference/,
    ),
    errors: [{ path: 'input' }],
  });
  expect((await server.call('GET', '/v1/workflows/big-1')).status).toBe(404);
  // A small one starts as usual.
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'notes', id: 'small-1', input: { text: 'x' } } })).status).toBe(201);
});
