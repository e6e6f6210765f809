import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { createRegistry } from '../../src/machines/index.js';
import { startTestServer, type TestServer } from './support/testServer.js';

// An integrator who does not read TypeScript learns a signal's data from GET /v1/definitions,
// wherever the definition declared its schema: in `outputs` or on the step.
const Review = z.object({ decision: z.enum(['accept', 'reject']), note: z.string() });
const contract = defineWorkflow({
  name: 'contract',
  version: 1,
  input: z.object({}),
  outputs: { review: Review },
  steps: [
    { kind: 'signal', name: 'review', signal: 'legalReview' },
    { kind: 'signal', name: 'countersign', signal: 'signed', schema: z.object({ by: z.string() }) },
  ],
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ definitions: createRegistry([contract]) });
});
afterAll(async () => {
  await server.stop();
});

it("GET /v1/definitions gives each signal's data schema, declared in outputs or on the step", async () => {
  const listed = await server.call('GET', '/v1/definitions');
  const commands = listed.body.definitions[0].commands as Array<{ type: string; dataSchema: Record<string, unknown> }>;
  expect(commands.find((command) => command.type === 'legalReview')?.dataSchema).toMatchObject({
    type: 'object',
    properties: { decision: { enum: ['accept', 'reject'] }, note: { type: 'string' } },
    required: ['decision', 'note'],
  });
  expect(commands.find((command) => command.type === 'signed')?.dataSchema).toMatchObject({ type: 'object', required: ['by'] });
});

it('APPROVE to a workflow that has no gate is refused as not accepted now (409), not as an unknown type', async () => {
  // Every command stays a command whatever the definitions listed (an older version still running may have a gate).
  const started = await server.call('POST', '/v1/workflows', { body: { definition: 'contract', input: {}, id: 'contract-1' } });
  expect(started.status).toBe(201);
  const approve = await server.call('POST', '/v1/workflows/contract-1/events', { body: { type: 'APPROVE' } });
  expect(approve.status).toBe(409);
  expect(approve.body).toMatchObject({ code: 'EVENT_NOT_ACCEPTED', accepts: ['legalReview', 'CANCEL'] });
});
