import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, listenApi, type ApiApp } from '../../src/api/index.js';
import type { EclConfigInput } from '../../src/config/index.js';
import { rawRequest } from './support/http.js';
import { createStubPorts } from './support/stubPorts.js';

// Issue 14, items 1-3: what the HTTP edge refuses, each with a clear 400 (or 408), and nothing recorded.

const KEY = 'acme-secret-key-0001';
const auth = { authorization: `Bearer ${KEY}` };
const json = { ...auth, 'content-type': 'application/json' };

let ports: ReturnType<typeof createStubPorts>;
let api: ApiApp | undefined;
const sockets: Socket[] = [];

function open(config: EclConfigInput = {}): ApiApp {
  ports = createStubPorts();
  api = createApp({ ...ports, config: { apiKeys: [{ id: 'acme-key', key: KEY, tenant: 'acme' }], ...config } });
  return api;
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await api?.app.close();
  api = undefined;
  await ports.close();
});

const nested = (depth: number, leaf = '1'): string => '['.repeat(depth) + leaf + ']'.repeat(depth);

describe('deeply nested JSON (item 1)', () => {
  it('answers 400 INVALID_BODY naming the path for an input nested 2,000 levels deep, and for any field 5,000 deep', async () => {
    const { app } = open();
    const deepInput = await app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: json,
      payload: `{"definition":"toy","input":{"topic":${nested(2_000, '"x"')}}}`,
    });
    expect(deepInput.statusCode).toBe(400);
    expect(deepInput.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(deepInput.json()).toMatchObject({
      code: 'INVALID_BODY',
      title: 'Invalid request body',
      detail: expect.stringMatching(/more than 64 levels/),
      errors: [{ path: expect.stringMatching(/^input\.topic\[0\]\[0\]/) }],
    });
    const deepExtra = await app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: json,
      payload: `{"definition":"toy","input":{"topic":"x"},"colour":${nested(5_000)}}`,
    });
    expect(deepExtra.statusCode).toBe(400);
    expect(deepExtra.json().code).toBe('INVALID_BODY');
    const deepData = await app.inject({
      method: 'POST',
      url: '/v1/workflows/w1/events',
      headers: json,
      payload: `{"type":"CANCEL","data":${nested(3_000, '{}')}}`,
    });
    expect(deepData.statusCode).toBe(400);
    expect(deepData.json()).toMatchObject({ code: 'INVALID_BODY', errors: [{ path: expect.stringMatching(/^data\[0\]/) }] });
    expect(await ports.store.headPosition()).toBeNull();
  });

  it('accepts exactly maxJsonDepth levels in an input, and refuses one more', async () => {
    const { app } = open({ maxJsonDepth: 8 });
    // The input object itself is level 1; topic's arrays add the rest.
    const atLimit = await app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: json,
      payload: `{"definition":"toy","input":{"topic":${nested(7, '"x"')}}}`,
    });
    expect(atLimit.json().code).toBe('INVALID_INPUT'); // parsed and validated: topic is not a string
    const over = await app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: json,
      payload: `{"definition":"toy","input":{"topic":${nested(8, '"x"')}}}`,
    });
    expect(over.json()).toMatchObject({ code: 'INVALID_BODY', errors: [{ message: 'more than 8 levels of arrays and objects' }] });
  });

  it('refuses a body that repeats a key (400 INVALID_BODY), escaped spellings included, and records nothing', async () => {
    const { app } = open();
    for (const payload of [
      '{"definition":"toy","input":{"topic":"a"},"input":{"topic":"b"}}',
      '{"definition":"toy","input":{"topic":"a","top\\u0069c":"b"}}',
      '{"type":"CANCEL","type":"APPROVE"}',
    ]) {
      const url = payload.includes('CANCEL') ? '/v1/workflows/w1/events' : '/v1/workflows';
      const response = await app.inject({ method: 'POST', url, headers: json, payload });
      expect(response.statusCode, payload).toBe(400);
      expect(response.json(), payload).toMatchObject({ code: 'INVALID_BODY', errors: [{ message: 'duplicate key' }] });
    }
    // The same key in two different objects is not a duplicate.
    const fine = await app.inject({ method: 'POST', url: '/v1/workflows', headers: json, payload: '{"definition":"toy","input":{"topic":"a"},"id":"w-dup"}' });
    expect(fine.statusCode).toBe(201);
    expect((await ports.store.readAll({})).length).toBe(1);
  });
});

describe('slow clients (item 2)', () => {
  it('answers 408 to a body that never finishes arriving, and closes the connection', async () => {
    const app = open({ requestTimeoutMs: 300, headersTimeoutMs: 200 });
    const url = new URL(await listenApi(app, { host: '127.0.0.1', port: 0 }));
    const answers = await Promise.all(
      Array.from(
        { length: 3 },
        () =>
          new Promise<string>((resolve) => {
            const socket = connect(Number(url.port), '127.0.0.1');
            sockets.push(socket);
            let received = '';
            socket.setEncoding('utf8');
            socket.on('data', (chunk: string) => (received += chunk));
            socket.on('close', () => resolve(received));
            socket.write(
              `POST /v1/workflows HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"defin`,
            );
          }),
      ),
    );
    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toMatch(/"code":"REQUEST_TIMEOUT"/);
    }
    expect(await ports.store.headPosition()).toBeNull();
  });

  it('answers 408 to headers that never finish arriving', async () => {
    const app = open({ requestTimeoutMs: 300, headersTimeoutMs: 200 });
    const url = new URL(await listenApi(app, { host: '127.0.0.1', port: 0 }));
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), '127.0.0.1');
      sockets.push(socket);
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('close', () => resolve(received));
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes connections from one address past maxConnectionsPerClient, and serves it again once they close', async () => {
    const app = open({ maxConnectionsPerClient: 2 });
    const url = new URL(await listenApi(app, { host: '127.0.0.1', port: 0 }));
    const held = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect(Number(url.port), '127.0.0.1', () => resolve(socket));
            sockets.push(socket);
          }),
      ),
    );
    // Both held connections are counted once the server has accepted them; a third is closed unanswered.
    const third = await new Promise<{ closed: boolean; data: string }>((resolve) => {
      const socket = connect(Number(url.port), '127.0.0.1');
      sockets.push(socket);
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ closed: true, data }));
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(third).toEqual({ closed: true, data: '' });
    for (const socket of held) socket.destroy();
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      status = await rawRequest(url.origin, { method: 'GET', path: '/healthz' }).then(
        (response) => response.status,
        () => 0,
      );
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(status).toBe(200);
  });
});

describe('query strings and Last-Event-ID (item 3)', () => {
  it('refuses every malformed cursor with 400 INVALID_QUERY, and accepts the cursor it handed out', async () => {
    const { app } = open({ maxPageSize: 10 });
    for (const id of ['a', 'b', 'c']) {
      expect(
        (await app.inject({ method: 'POST', url: '/v1/workflows', headers: json, payload: { definition: 'toy', input: { topic: id }, id } })).statusCode,
      ).toBe(201);
    }
    const first = await app.inject({ method: 'GET', url: '/v1/workflows?limit=2', headers: auth });
    const { nextCursor } = first.json() as { nextCursor: string };
    expect(nextCursor).toMatch(/^\d+$/);
    const second = await app.inject({ method: 'GET', url: `/v1/workflows?limit=2&cursor=${nextCursor}`, headers: auth });
    expect(second.statusCode).toBe(200);
    expect(second.json().items.map((item: { workflowId: string }) => item.workflowId)).toEqual(['a']);
    const base64Json = Buffer.from('{"position":3}').toString('base64');
    for (const cursor of ['garbage', '%FF', base64Json, 'x'.repeat(5_000), '-1', '01', '1.5', '1e3', ' 1', '99999999999999999999', '']) {
      const response = await app.inject({
        method: 'GET',
        url: `/v1/workflows?cursor=${cursor.startsWith('%') ? cursor : encodeURIComponent(cursor)}`,
        headers: auth,
      });
      expect(response.statusCode, cursor.slice(0, 40)).toBe(400);
      expect(response.json(), cursor.slice(0, 40)).toMatchObject({ code: 'INVALID_QUERY', errors: [{ path: 'cursor' }] });
    }
  });

  it('takes limit as plain decimal digits only: 1e2, 0x10, +5 and 5.0 are refused', async () => {
    const { app } = open();
    expect((await app.inject({ method: 'GET', url: '/v1/workflows?limit=10', headers: auth })).statusCode).toBe(200);
    for (const limit of ['1e2', '0x10', '+5', '5.0', ' 5', '0', '-1', '']) {
      const response = await app.inject({ method: 'GET', url: `/v1/workflows?limit=${encodeURIComponent(limit)}`, headers: auth });
      expect(response.statusCode, limit).toBe(400);
      expect(response.json(), limit).toMatchObject({ code: 'INVALID_QUERY', errors: [{ path: 'limit' }] });
    }
  });

  it('accepts on both SSE routes exactly the ids they hand out (canonical non-negative integers) and refuses the rest alike', async () => {
    const app = open();
    expect(
      (await app.app.inject({ method: 'POST', url: '/v1/workflows', headers: json, payload: { definition: 'toy', input: { topic: 'x' }, id: 'w1' } }))
        .statusCode,
    ).toBe(201);
    const url = await listenApi(app, { host: '127.0.0.1', port: 0 });
    const statusOf = async (path: string, lastEventId: string | undefined, viaQuery = false): Promise<{ status: number; code?: string }> => {
      const controller = new AbortController();
      const target = viaQuery && lastEventId !== undefined ? `${url}${path}?lastEventId=${encodeURIComponent(lastEventId)}` : `${url}${path}`;
      const response = await fetch(target, {
        headers: { ...auth, ...(viaQuery || lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
        signal: controller.signal,
      });
      const code = response.status === 200 ? undefined : ((await response.json()) as { code: string }).code;
      controller.abort();
      return code === undefined ? { status: response.status } : { status: response.status, code };
    };
    for (const path of ['/v1/workflows/w1/stream', '/v1/stream']) {
      for (const good of ['0', '1', '42', '18446744073709551615']) {
        if (path !== '/v1/stream' && good.length > 16) continue;
        expect(await statusOf(path, good), `${path} ${good}`).toEqual({ status: 200 });
        expect(await statusOf(path, good, true), `${path} ?${good}`).toEqual({ status: 200 });
      }
      for (const bad of ['-1', '-5', ' 1', '1 ', '', '+1', '1e9', '01', '0x1', '1.0', '18446744073709551616', 'abc']) {
        // Spaces around a header value are HTTP's optional white space, not part of it: only the query keeps them.
        if (bad.trim() === bad) expect(await statusOf(path, bad), `${path} '${bad}'`).toEqual({ status: 400, code: 'INVALID_HEADER' });
        expect(await statusOf(path, bad, true), `${path} ?'${bad}'`).toEqual({ status: 400, code: 'INVALID_HEADER' });
      }
    }
    // A workflow stream's ids are revisions, which stay within JavaScript's safe integers.
    expect(await statusOf('/v1/workflows/w1/stream', '9007199254740992')).toEqual({ status: 400, code: 'INVALID_HEADER' });
  });
});
