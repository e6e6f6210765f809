import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type ApiApp } from '../../src/api/index.js';
import { createStubPorts } from './support/stubPorts.js';

let ports: ReturnType<typeof createStubPorts>;
let api: ApiApp;
const keys = [
  { id: 'acme-key', key: 'acme-secret-key-0001', tenant: 'acme' },
  { id: 'globex-key', key: 'globex-secret-key-0001', tenant: 'globex' },
];
const auth = (key = 'acme-secret-key-0001') => ({ authorization: `Bearer ${key}` });

beforeEach(() => {
  ports = createStubPorts();
  api = createApp({ ...ports, config: { apiKeys: keys } });
});
afterEach(async () => {
  await api.app.close();
  await ports.close();
});

describe('HTTP edge', () => {
  it('answers 401 problem+json without or with a wrong key, saying which it was', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['/v1/workflows', {}, 'Send Authorization: Bearer <API key>'],
      ['/v1/workflows', { authorization: 'Bearer nope' }, 'The API key is not valid on this server (Authorization: Bearer <API key>)'],
      ['/v1/workflows', { authorization: 'Basic abc' }, 'The Authorization header must be "Bearer <API key>"'],
      ['/v1/workflows?token=ecl1.a.b', {}, 'A ?token= opens only the SSE routes (/v1/stream, /v1/workflows/:id/stream): send Authorization: Bearer <API key>'],
      ['/v1/stream?token=ecl1.a.b', {}, 'The stream token is not valid or has expired: mint another with POST /v1/stream-tokens'],
    ];
    for (const [url, headers, detail] of cases) {
      const response = await api.app.inject({ method: 'GET', url, headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      // The instance is the path: a token in the query is not echoed back.
      expect(response.json()).toEqual(expect.objectContaining({ status: 401, code: 'UNAUTHORIZED', detail, instance: url.split('?')[0] }));
    }
  });

  it('rejects malformed JSON with 400 and oversized bodies with 413', async () => {
    const malformed = await api.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: '{"definition":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('MALFORMED_JSON');
    const big = await api.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: JSON.stringify({ definition: 'toy', input: { topic: 'x'.repeat(1024 * 1024 + 10) } }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      detail: "The request body is larger than this server's limit of 1048576 bytes (its bodyLimitBytes setting, e.g. ECL_BODY_LIMIT_BYTES)",
    });
    const text = await api.app.inject({ method: 'POST', url: '/v1/workflows', headers: { ...auth(), 'content-type': 'text/plain' }, payload: 'hi' });
    expect(text.statusCode).toBe(415);
    const proto = await api.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: '{"__proto__":{"x":1}}',
    });
    expect(proto.statusCode).toBe(400);
    expect(await ports.store.headPosition()).toBeNull();
  });

  it('names the failing field paths', async () => {
    const response = await api.app.inject({ method: 'POST', url: '/v1/workflows', headers: auth(), payload: { definition: 'toy', input: { topic: 3 } } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'INVALID_INPUT', errors: [{ path: 'input.topic' }] });
    const unknown = await api.app.inject({ method: 'POST', url: '/v1/workflows', headers: auth(), payload: { definition: 'nope', input: {} } });
    expect(unknown.json()).toMatchObject({ code: 'UNKNOWN_DEFINITION', errors: [{ path: 'definition' }] });
    const extra = await api.app.inject({ method: 'POST', url: '/v1/workflows', headers: auth(), payload: { definition: 'toy', input: {}, colour: 1 } });
    expect(extra.json().code).toBe('INVALID_BODY');
  });

  it('starts idempotently, 409 on another input, and scopes ids to the tenant', async () => {
    const body = { definition: 'toy', input: { topic: 'a' }, id: 'w1' };
    const first = await api.app.inject({ method: 'POST', url: '/v1/workflows', headers: auth(), payload: body });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ workflowId: 'w1', status: 'running', definition: 'toy' });
    expect((await api.app.inject({ method: 'POST', url: '/v1/workflows', headers: auth(), payload: body })).statusCode).toBe(200);
    const conflict = await api.app.inject({ method: 'POST', url: '/v1/workflows', headers: auth(), payload: { ...body, input: { topic: 'b' } } });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().code).toBe('WORKFLOW_EXISTS');
    expect((await api.app.inject({ method: 'GET', url: '/v1/workflows/w1', headers: auth('globex-secret-key-0001') })).statusCode).toBe(404);
    const other = await api.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: auth('globex-secret-key-0001'),
      payload: { ...body, input: { topic: 'b' } },
    });
    expect(other.statusCode).toBe(201);
    const [started] = await ports.store.readStream('ecl.workflow-acme:w1');
    expect(started?.metadata).toMatchObject({ sender: 'acme-key', tenant: 'acme' });
  });

  it('serves /healthz, /openapi.json and /metrics without a key', async () => {
    const health = await api.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toMatchObject({ status: 'ok' });
    const openapi = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(openapi.openapi).toBe('3.1.0');
    expect(openapi.paths['/v1/workflows/{id}/events'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SendEvent' });
    expect(openapi.components.schemas.SendEvent.properties.type.enum).toContain('APPROVE');
    const metrics = await api.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toContain('ecl_workflows{status="running"} 0');
    expect(metrics.body).toContain('ecl_projection_lag_positions 0');
  });

  it('a long poll (GET ?wait=) ends when its client goes away, and answers with the status when the wait is over', async () => {
    expect(
      (await api.app.inject({ method: 'POST', url: '/v1/workflows', headers: auth(), payload: { definition: 'toy', input: { topic: 'x' }, id: 'poll' } }))
        .statusCode,
    ).toBe(201);
    const over = await api.app.inject({ method: 'GET', url: '/v1/workflows/poll?wait=0.05', headers: auth() });
    expect(over.json()).toMatchObject({ workflowId: 'poll', status: 'running' });
    expect(ports.waits).toEqual([{ workflowId: 'acme:poll', ended: 'time' }]);
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as { port: number };
    const client = new AbortController();
    const polling = fetch(`http://127.0.0.1:${port}/v1/workflows/poll?wait=300`, { headers: auth(), signal: client.signal }).catch((error: unknown) => error);
    for (let tries = 0; ports.waits.length < 2 && tries < 400; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ports.waits[1]).toEqual({ workflowId: 'acme:poll' });
    client.abort();
    expect(await polling).toMatchObject({ name: 'AbortError' });
    for (let tries = 0; ports.waits[1]?.ended === undefined && tries < 400; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ports.waits[1]).toEqual({ workflowId: 'acme:poll', ended: 'aborted' });
  });

  it('commands go through app.inject too (no raw distinct headers there), with or without an Idempotency-Key', async () => {
    expect(
      (await api.app.inject({ method: 'POST', url: '/v1/workflows', headers: auth(), payload: { definition: 'toy', input: { topic: 'x' }, id: 'inj' } }))
        .statusCode,
    ).toBe(201);
    const send = (headers: Record<string, string | string[]>) =>
      api.app.inject({ method: 'POST', url: '/v1/workflows/inj/events', headers: { ...auth(), ...headers }, payload: { type: 'CANCEL' } });
    expect((await send({ 'idempotency-key': 'k-1' })).statusCode).toBe(202);
    expect((await send({ 'idempotency-key': 'not a key' })).json()).toMatchObject({ code: 'INVALID_HEADER' });
    expect((await send({})).statusCode).not.toBe(500);
  });
});
