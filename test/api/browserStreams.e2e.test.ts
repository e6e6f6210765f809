import { EventSource } from 'eventsource';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBrowserServer, type BrowserServer } from './support/browserServer.js';
import { KEYS, briefInput, eventually } from './support/testServer.js';

// Issue 16, items 2 and 3: CORS for named origins, stream tokens for EventSource, 204 after `end`.

const ORIGIN = 'http://127.0.0.1:5999';
let server: BrowserServer;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  server = await startBrowserServer([ORIGIN]);
});
afterAll(async () => {
  await server.stop();
});
afterEach(() => {
  vi.useRealTimers();
});

async function cancelled(id: string, key: string = KEYS.acme.key): Promise<void> {
  const body = JSON.stringify({ definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id });
  expect((await fetch(`${server.url}/v1/workflows`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body })).status).toBe(
    201,
  );
  await eventually(async () => {
    const status = (await (await fetch(`${server.url}/v1/workflows/${id}`, { headers: bearer(key) })).json()) as { status?: string };
    return status.status === 'waiting' ? true : undefined;
  }, `${id} to wait`);
  const cancel = JSON.stringify({ type: 'CANCEL', data: { reason: 'done here' } });
  expect(
    (await fetch(`${server.url}/v1/workflows/${id}/events`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: cancel }))
      .status,
  ).toBe(202);
}

async function mint(key: string): Promise<{ token: string; expiresAt: string }> {
  const response = await fetch(`${server.url}/v1/stream-tokens`, { method: 'POST', headers: bearer(key) });
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as { token: string; expiresAt: string };
}

describe('CORS', () => {
  it('answers a preflight from an allowed origin before auth, naming the headers a page may send', async () => {
    for (const path of ['/v1/stream-tokens', '/v1/workflows', '/v1/workflows/x/stream']) {
      const response = await fetch(server.url + path, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(response.status, path).toBe(204);
      expect(response.headers.get('access-control-allow-origin'), path).toBe(ORIGIN);
      expect(response.headers.get('access-control-allow-headers')?.toLowerCase(), path).toContain('authorization');
      expect(response.headers.get('access-control-allow-credentials'), path).toBeNull();
    }
  });

  it('lets a page read Location from an answer; another origin gets no CORS headers', async () => {
    const body = JSON.stringify({ definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id: 'cors-location' });
    const created = await fetch(`${server.url}/v1/workflows`, {
      method: 'POST',
      headers: { ...bearer(KEYS.acme.key), 'content-type': 'application/json', origin: ORIGIN },
      body,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(created.headers.get('access-control-expose-headers')).toContain('Location');
    const other = await fetch(`${server.url}/v1/workflows/cors-location`, { headers: { ...bearer(KEYS.acme.key), origin: 'http://127.0.0.1:6000' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/v1/workflows`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('stream tokens', () => {
  it('open the stream of a workflow of their tenant, and only the SSE routes', async () => {
    await cancelled('tok-a');
    const { token, expiresAt } = await mint(KEYS.acme.key);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    expect(token).not.toContain(KEYS.acme.key);
    const stream = await fetch(`${server.url}/v1/workflows/tok-a/stream?token=${encodeURIComponent(token)}`, { headers: { origin: ORIGIN } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = await stream.text();
    expect(text).toContain('event: end');
    expect(text).toContain('"workflowId":"tok-a"');
    // Not a key: every other route refuses it.
    for (const [method, path] of [
      ['GET', '/v1/workflows/tok-a'],
      ['GET', '/v1/workflows/tok-a/audit'],
      ['POST', '/v1/stream-tokens'],
      ['GET', '/v1/workflows'],
    ] as const)
      expect((await fetch(`${server.url}${path}?token=${encodeURIComponent(token)}`, { method })).status, path).toBe(401);
  });

  it('of tenant A cannot read tenant B’s workflow (404, as with A’s key)', async () => {
    await cancelled('tok-b', KEYS.globex.key);
    const { token } = await mint(KEYS.acme.key);
    const response = await fetch(`${server.url}/v1/workflows/tok-b/stream?token=${encodeURIComponent(token)}`);
    expect(response.status).toBe(404);
    expect((await fetch(`${server.url}/v1/workflows/tok-b/stream`, { headers: bearer(KEYS.acme.key) })).status).toBe(404);
    const globex = await mint(KEYS.globex.key);
    expect((await fetch(`${server.url}/v1/workflows/tok-b/stream?token=${encodeURIComponent(globex.token)}&lastEventId=0`)).status).toBe(200);
  });

  it('are refused once expired, forged, or missing', async () => {
    const { token, expiresAt } = await mint(KEYS.acme.key);
    const path = `/v1/workflows/tok-a/stream?token=`;
    const [prefix, payload, signature] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), t: 'globex' })).toString('base64url');
    expect((await fetch(`${server.url}${path}${prefix}.${forged}.${signature}`)).status).toBe(401);
    expect((await fetch(`${server.url}${path}${encodeURIComponent(KEYS.acme.key)}`)).status).toBe(401);
    // A page can read the refusal (CORS headers on the 401), so it knows to mint again.
    const missing = await fetch(`${server.url}/v1/workflows/tok-a/stream`, { headers: { origin: ORIGIN } });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse(expiresAt));
    const expired = await fetch(`${server.url}${path}${encodeURIComponent(token)}`);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('a finished stream', () => {
  it('answers 204 to a reconnect at or past its terminal event', async () => {
    await cancelled('end-204');
    const headers = bearer(KEYS.acme.key);
    const full = await (await fetch(`${server.url}/v1/workflows/end-204/stream`, { headers })).text();
    const ids = [...full.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    const last = Math.max(...ids);
    expect(full.trimEnd().split('\n\n').at(-1)).toMatch(/^event: end\n/);
    for (const after of [last, last + 5]) {
      const again = await fetch(`${server.url}/v1/workflows/end-204/stream`, { headers: { ...headers, 'last-event-id': String(after) } });
      expect(again.status).toBe(204);
      expect(await again.text()).toBe('');
    }
    const before = await fetch(`${server.url}/v1/workflows/end-204/stream`, { headers: { ...headers, 'last-event-id': String(last - 1) } });
    expect(before.status).toBe(200);
    expect(await before.text()).toMatch(new RegExp(`id: ${last}\\n[\\s\\S]*event: end\\n`));
  });

  it('stops a spec-conformant client (eventsource) after end: it reconnects once, gets 204, and closes', async () => {
    await cancelled('end-es');
    const { token } = await mint(KEYS.acme.key);
    const url = `${server.url}/v1/workflows/end-es/stream?token=${encodeURIComponent(token)}`;
    const requests: Array<string | null> = [];
    const events: string[] = [];
    const source = new EventSource(url, {
      fetch: (input, init) => {
        requests.push(new Headers(init?.headers).get('last-event-id'));
        return fetch(input, init);
      },
    });
    try {
      source.addEventListener('transition', (event) => events.push(`transition ${event.lastEventId}`));
      source.addEventListener('end', () => events.push('end'));
      // The client does not close on `end`: the server's 204 must stop it.
      await eventually(async () => (source.readyState === EventSource.CLOSED ? true : undefined), 'EventSource to close', 10_000);
      expect(events.at(-1)).toBe('end');
      expect(requests).toHaveLength(2);
      expect(requests[0]).toBeNull();
      expect(requests[1]).toBe(events.at(-2)?.split(' ')[1]);
    } finally {
      source.close();
    }
  });
});
