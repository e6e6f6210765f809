import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, briefInput, eventually, startTestServer, type TestServer } from '../api/support/testServer.js';

// The API routes the console reads besides the plain API (issue 17): a workflow's history folded per
// revision, a definition's steps per version, tokens and cost per workflow. Every answer here is
// also checked against /openapi.json by the test server.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'brief', input: briefInput(), id: 'hist-1' } })).status).toBe(201);
  await eventually(async () => ((await server.call('GET', '/v1/workflows/hist-1')).body.status === 'completed' ? true : undefined), 'hist-1 to complete');
});
afterAll(async () => server.stop());

describe('GET /v1/workflows/:id/history', () => {
  it('folds every revision of the stream: the state after each, and the outputs each set', async () => {
    const { status, body } = await server.call('GET', '/v1/workflows/hist-1/history');
    expect(status).toBe(200);
    const { body: audit } = await server.call('GET', '/v1/workflows/hist-1/audit');
    const { body: final } = await server.call('GET', '/v1/workflows/hist-1');
    expect(body).toMatchObject({ workflowId: 'hist-1', definition: 'brief', version: 1, lastRevision: final.revision });
    expect(body.steps.map((step: { name: string; kind: string }) => `${step.name}:${step.kind}`)).toEqual([
      'extract:produce',
      'draft:produce',
      'review:validate',
      'approval:approval',
      'load:produce',
    ]);
    expect(body.revisions.map((revision: { revision: number; type: string }) => [revision.revision, revision.type])).toEqual(
      audit.entries.map((entry: { revision: number; type: string }) => [entry.revision, entry.type]),
    );
    const last = body.revisions.at(-1);
    expect(last).toMatchObject({ type: 'WorkflowCompleted', status: 'completed', state: final.state, iterations: final.iterations });
    expect(body.divergence).toBeUndefined();

    // The draft the reviewer sent back is the first draft; the one after is another.
    const drafts = body.revisions.filter((revision: { outputs: Record<string, unknown> }) => 'draft' in revision.outputs);
    expect(drafts).toHaveLength(2);
    const asked = body.revisions.find((revision: { type: string }) => revision.type === 'RevisionRequested');
    expect(asked.revision).toBeGreaterThan(drafts[0].revision);
    expect(asked.revision).toBeLessThan(drafts[1].revision);
    expect(asked).toMatchObject({ status: 'running', currentStep: 'draft', state: { draft: 'pending' } });
    expect(drafts[0].outputs.draft).not.toEqual(drafts[1].outputs.draft);

    // Usage so far grows with each step outcome, and ends where /v1/usage puts the workflow.
    const { body: usage } = await server.call('GET', '/v1/usage?ids=hist-1,nobody-here');
    expect(Object.keys(usage.workflows)).toEqual(['hist-1']);
    expect(last.usage).toEqual({
      inputTokens: usage.workflows['hist-1'].inputTokens,
      outputTokens: usage.workflows['hist-1'].outputTokens,
      costUsd: usage.workflows['hist-1'].costUsd,
    });
    expect(usage.workflows['hist-1'].inputTokens).toBeGreaterThan(0);
  });

  it("is a 404 for another tenant's workflow and a 400 for an id that could not exist", async () => {
    expect((await server.call('GET', '/v1/workflows/hist-1/history', { key: KEYS.globex.key })).status).toBe(404);
    expect((await server.call('GET', '/v1/workflows/nope/history')).status).toBe(404);
    expect((await server.call('GET', '/v1/workflows/bad%20id/history')).body.code).toBe('INVALID_ID');
    expect((await server.call('GET', '/v1/workflows/hist-1/history', { key: null })).status).toBe(401);
  });
});

describe('GET /v1/definitions/:name/versions and GET /v1/usage', () => {
  it("lists a definition's versions with their steps, and refuses a name it does not know", async () => {
    const { status, body } = await server.call('GET', '/v1/definitions/brief/versions');
    expect(status).toBe(200);
    expect(body.versions).toHaveLength(1);
    expect(body.versions[0].steps.find((step: { name: string }) => step.name === 'review')).toEqual({ name: 'review', kind: 'validate', validates: 'draft' });
    const missing = await server.call('GET', '/v1/definitions/nothing/versions');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      code: 'DEFINITION_NOT_FOUND',
      detail: 'No definition "nothing" is registered on this server (GET /v1/definitions lists them)',
    });
  });

  it("keeps usage to the caller's tenant and refuses more than 100 ids or a malformed one", async () => {
    expect((await server.call('GET', '/v1/usage?ids=hist-1', { key: KEYS.globex.key })).body).toEqual({ workflows: {} });
    const many = Array.from({ length: 101 }, (_, index) => `w${index}`).join(',');
    expect((await server.call('GET', `/v1/usage?ids=${many}`)).body.code).toBe('INVALID_QUERY');
    expect((await server.call('GET', '/v1/usage?ids=a,b%2Fc')).body.code).toBe('INVALID_QUERY');
    expect((await server.call('GET', '/v1/usage')).body.code).toBe('INVALID_QUERY');
  });
});
