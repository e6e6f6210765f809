import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, isApiClientError } from 'ecl-workflows/client';
import { createApp } from '../../src/api/index.js';
import { buildOpenApi } from '../../src/api/openapi.js';
import { API_TYPES_FILE, generateApiTypes } from './support/apiTypes.js';
import { createStubPorts } from './support/stubPorts.js';
import { HOLD_DRAFT, KEYS, type TestServer, briefInput, startTestServer } from './support/testServer.js';
import { z } from 'zod';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';
import { SAMPLE_DEFINITIONS } from '../support/definitions.js';

// The OpenAPI document: valid by a validator nobody here wrote, true to the routes, the source of the
// client's types; and the client generated from it driving a real server.

/** One step, then waits for a person. */
const gate = defineWorkflow({
  name: 'gate',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'prepare', run: async () => 'ready' },
    { kind: 'approval', name: 'approve' },
  ],
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ script: HOLD_DRAFT, definitions: createRegistry([...SAMPLE_DEFINITIONS, gate]) });
});
afterAll(async () => server.stop());

const served = async (): Promise<Record<string, any>> => (await fetch(`${server.url}/openapi.json`)).json() as Promise<Record<string, any>>;

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document, as served and as the client is generated from', async () => {
    for (const document of [await served(), buildOpenApi({ version: '1.0.0', authRequired: false, definitions: [] })]) {
      const result = await new Validator().validate(JSON.parse(JSON.stringify(document)));
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
    }
  });

  it('has a component for every shared shape and every reference resolves', async () => {
    const document = await served();
    const components = Object.keys(document.components.schemas);
    expect(components).toEqual(
      expect.arrayContaining(['WorkflowStatus', 'Problem', 'AuditEntry', 'MetricsSummary', 'Definition', 'Transition', 'Delta', 'StreamEnd', 'SendEvent']),
    );
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1] as string);
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((name) => !components.includes(name))).toEqual([]);
    // The status model documents every field the read model has.
    expect(Object.keys(document.components.schemas.WorkflowStatus.properties)).toHaveLength(23);
  });

  it('documents every route the server has, and no route it does not', () => {
    const { routes } = createApp(createStubPorts());
    const document = buildOpenApi({ version: '1', authRequired: false, definitions: [] });
    const documented = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const registered = routes.list().filter((route) => !route.startsWith('HEAD ') && !route.startsWith('OPTIONS '));
    expect(registered.length).toBeGreaterThan(5);
    expect(new Set(registered)).toEqual(new Set(documented));
  });

  it("is where the client's types come from: src/api/client/openapi.ts is what it generates today (npm run generate:api-types)", async () => {
    expect(readFileSync(API_TYPES_FILE, 'utf8')).toBe(await generateApiTypes());
  });

  it('lists the event types the registered definitions accept, and documents the headers and the stream query', async () => {
    const document = await served();
    expect(document.components.schemas.SendEvent.properties.type.enum).toEqual(['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL']);
    const start = document.paths['/v1/workflows'].post;
    expect(start.responses['201'].headers.Location).toBeDefined();
    expect(start.responses['401'].headers['WWW-Authenticate']).toBeDefined();
    expect(start.responses['503'].headers['Retry-After']).toBeDefined();
    expect(start.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(['wait']);
    const stream = document.paths['/v1/workflows/{id}/stream'].get;
    expect(stream.parameters.map((parameter: { name: string; in: string }) => `${parameter.in} ${parameter.name}`)).toEqual(
      expect.arrayContaining(['header Last-Event-ID', 'query lastEventId']),
    );
    expect(Object.keys(stream.responses['200']['x-sse-events'])).toEqual(['transition', 'delta', 'end']);
  });
});

describe('the generated client (openapi-fetch, typed by the document)', () => {
  const client = () => createApiClient({ baseUrl: server.url, apiKey: KEYS.acme.key });

  it('starts a workflow, sends a command, reads its status and its audit', async () => {
    const api = client();
    const started = await api.start({ definition: 'serial3', input: { topic: 'client' }, id: 'client-1' });
    expect(started).toMatchObject({ workflowId: 'client-1', definition: 'serial3' });
    const cancelled = await api.start({ definition: 'brief', input: briefInput(), id: 'client-2' });
    expect(cancelled.workflowId).toBe('client-2');
    const accepted = await api.send('client-2', 'CANCEL', { reason: 'changed my mind' });
    expect(accepted).toMatchObject({ workflowId: 'client-2', type: 'CANCEL' });
    const ended = await api.follow('client-2');
    expect(ended.ended).toBe('WorkflowCancelled');
    // A reconnect after the end is a 204: the client reports how it ended instead of following again.
    expect((await api.follow('client-2', { after: ended.lastRevision ?? 0 })).ended).toBe('WorkflowCancelled');
    expect(await api.get('client-2')).toMatchObject({ status: 'cancelled', reason: 'changed my mind' });
    const audit = await api.audit('client-2');
    expect(audit.entries.map((entry) => entry.type)).toContain('WorkflowCancelled');
    expect(audit.entries.find((entry) => entry.type === 'WorkflowCancelled')?.sender).toBe(KEYS.acme.id);
  });

  it('run() starts and awaits in one request: the output when it finishes, 202 (finished: false) when the wait ends first', async () => {
    const api = client();
    const done = await api.run({ definition: 'serial3', input: { topic: 'one call' }, id: 'client-run' });
    expect(done.finished).toBe(true);
    expect(done.status).toMatchObject({ workflowId: 'client-run', status: 'completed' });
    expect(done.status.output).toBeDefined();
    // Folded from the stream without waiting for the read model, it is what the read model then holds.
    expect(await api.get('client-run')).toEqual(done.status);
    // The same start again: the finished workflow, at once.
    expect(await api.run({ definition: 'serial3', input: { topic: 'one call' }, id: 'client-run' })).toMatchObject({
      finished: true,
      status: { status: 'completed' },
    });
    // brief's draft hangs (HOLD_DRAFT): the wait runs out and the answer says where it stands.
    const held = await api.run({ definition: 'brief', input: briefInput(), id: 'client-held' }, { waitSeconds: 0.2 });
    expect(held).toMatchObject({ finished: false, status: { workflowId: 'client-held', status: 'running', currentStep: 'draft' } });
    expect(await api.get('client-held')).toEqual(held.status);
    // settled() is the long poll of a workflow already there: the wait runs out while it still runs.
    expect(await api.settled('client-held', { waitSeconds: 0.2 })).toMatchObject({ status: 'running', currentStep: 'draft' });
    const cancelling = api.settled('client-held');
    await api.send('client-held', 'CANCEL');
    expect(await cancelling).toMatchObject({ status: 'cancelled' });
    // Waiting for a person: answered at once (202), with what it waits for, as the read model will hold it.
    const gated = await api.run({ definition: 'gate', input: {}, id: 'client-gated' });
    expect(gated).toMatchObject({ finished: false, status: { status: 'waiting', currentStep: 'approve', accepts: expect.arrayContaining(['APPROVE']) } });
    expect(await api.get('client-gated')).toEqual(gated.status);
    // Started before (by a plain start), the wait's answer is read from the stream: the same row.
    await api.start({ definition: 'gate', input: {}, id: 'client-gated-2' });
    const again = await api.run({ definition: 'gate', input: {}, id: 'client-gated-2' });
    expect(again).toMatchObject({ finished: false, status: { status: 'waiting' } });
    expect(await api.get('client-gated-2')).toEqual(again.status);
  });

  it('a command sent again with its Idempotency-Key answers 202 with its first recording (duplicate: true), not a 409', async () => {
    const api = client();
    await api.run({ definition: 'gate', input: {}, id: 'client-idem' });
    const first = await api.send('client-idem', 'APPROVE', { note: 'ok' }, { idempotencyKey: 'approve-7f3a' });
    expect(first).toEqual({ workflowId: 'client-idem', type: 'APPROVE', revision: expect.any(Number), lastRevision: expect.any(Number) });
    // The answer was lost; the retry finds the recording although the gate no longer waits.
    const retried = await api.send('client-idem', { type: 'APPROVE', data: { note: 'ok' } }, { idempotencyKey: 'approve-7f3a' });
    expect(retried).toEqual({ ...first, duplicate: true });
    // The key with other data is the client's mistake, named as such.
    const reused = await api.send('client-idem', 'APPROVE', { note: 'other' }, { idempotencyKey: 'approve-7f3a' }).catch((error: unknown) => error);
    expect(reused).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    const plain = await api.send('client-idem', 'APPROVE').catch((error: unknown) => error);
    expect(plain).toMatchObject({ code: 'EVENT_NOT_ACCEPTED', status: 409 });
    const audit = await api.audit('client-idem');
    expect(audit.entries.filter((entry) => entry.type === 'HumanDecisionReceived')).toHaveLength(1);
    for (const key of ['', 'clé', 'a b', 'x'.repeat(256), 'tab\there']) {
      const response = await fetch(`${server.url}/v1/workflows/client-idem/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.acme.key}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ type: 'CANCEL' }),
      });
      expect(response.status, JSON.stringify(key)).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'INVALID_HEADER', errors: [{ path: 'Idempotency-Key' }] });
    }
  });

  it('problems reject with the stable code, the detail of this request and the same title for every problem of the code', async () => {
    const api = client();
    const failures = await Promise.all([api.get('nope-1'), api.get('nope-2')].map((call) => call.catch((error: unknown) => error)));
    for (const [index, failure] of failures.entries()) {
      expect(isApiClientError(failure)).toBe(true);
      if (!isApiClientError(failure)) continue;
      expect(failure).toMatchObject({ code: 'WORKFLOW_NOT_FOUND', status: 404, message: `No workflow "nope-${index + 1}"` });
      expect(failure.problem).toMatchObject({ title: 'Workflow not found', detail: `No workflow "nope-${index + 1}"` });
    }
    const bad = await api.run({ definition: 'serial3', input: {} }, { waitSeconds: 301 }).catch((error: unknown) => error);
    expect(bad).toMatchObject({ code: 'INVALID_QUERY', status: 400 });
  });
});

describe('HTTP conventions', () => {
  it('a known path with a wrong method is a 405 naming the allowed methods in Allow', async () => {
    for (const [method, path, allow] of [
      ['DELETE', '/v1/workflows', 'GET, HEAD, POST'],
      ['PUT', '/v1/workflows/w1/events', 'POST'],
      ['POST', '/healthz', 'GET, HEAD'],
    ] as const) {
      const response = await fetch(server.url + path, { method, headers: { authorization: `Bearer ${KEYS.acme.key}` } });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow')?.split(', ').sort().join(', ')).toBe(allow);
      expect(await response.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED', title: 'Method not allowed' });
    }
    const unknown = await fetch(`${server.url}/v1/nothing`, { headers: { authorization: `Bearer ${KEYS.acme.key}` } });
    expect(unknown.status).toBe(404);
  });

  it('a body with a __proto__ key is a 400 naming the key, not "not valid JSON"; nothing is recorded', async () => {
    const response = await fetch(`${server.url}/v1/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.acme.key}`, 'content-type': 'application/json' },
      body: '{"definition":"serial3","input":{"topic":"x","__proto__":{"polluted":true}},"id":"proto-1"}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'INVALID_BODY', errors: [{ path: 'input.__proto__' }] });
    expect((await server.call('GET', '/v1/workflows/proto-1')).status).toBe(404);
  });
});
