import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { createRegistry } from '../../src/machines/index.js';
import { startTestServer, type TestServer } from './support/testServer.js';

// Three documents, one model call each inside a fan-out, then one journaled call of the step's own.
const digest = defineWorkflow({
  name: 'digest',
  version: 1,
  input: z.object({ docs: z.array(z.string()) }),
  steps: [
    {
      kind: 'produce',
      name: 'summarize',
      run: async (ctx) => {
        const parts = await ctx.map(
          'doc',
          ctx.input.docs,
          async (doc, _index, call) => (await call.complete({ messages: [{ role: 'user', content: doc }] })).text,
        );
        return (await ctx.complete({ messages: [{ role: 'user', content: parts.join('\n') }] })).text;
      },
    },
  ],
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ definitions: createRegistry([digest]), script: { fallback: 'offline' } });
});
afterAll(async () => {
  await server.stop();
});

it('GET /v1/usage counts model calls as ecl audit does: each item and each journaled call once, not one per step', async () => {
  const started = await server.call('POST', '/v1/workflows?wait=10', { body: { definition: 'digest', id: 'd1', input: { docs: ['a', 'b', 'c'] } } });
  expect(started.body.status).toBe('completed');
  const usage = (await server.call('GET', '/v1/usage?ids=d1')).body.workflows.d1;
  const audit = (await server.call('GET', '/v1/workflows/d1/audit')).body;
  const outcome = audit.entries.find((entry: { type: string }) => entry.type === 'StepCompleted');
  expect(usage).toEqual({ calls: 4, inputTokens: outcome.inputTokens, outputTokens: outcome.outputTokens, costUsd: outcome.costUsd });
});
