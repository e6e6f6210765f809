import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserServer, type BrowserServer } from './support/browserServer.js';
import { KEYS, briefInput, eventually } from './support/testServer.js';

// Issue 16, item 2, in a real browser: a page on another origin mints a stream token with fetch
// (a CORS preflight for Authorization), follows a workflow with EventSource, and is stopped by the
// 204 after `end`; a page on an origin not allowed cannot read the API.

const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present) console.warn(`browserStreams: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const PAGE = '<!doctype html><title>ecl</title>';

async function listenPage(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.skipIf(!present)('a browser page on another origin', () => {
  let allowed: { server: Server; origin: string };
  let denied: { server: Server; origin: string };
  let api: BrowserServer;
  let browser: Browser;

  beforeAll(async () => {
    allowed = await listenPage();
    denied = await listenPage();
    api = await startBrowserServer([allowed.origin]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      timeout: 30_000,
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    for (const page of [allowed, denied]) if (page !== undefined) await new Promise((resolve) => page.server.close(resolve));
  });

  it('mints a stream token, follows a workflow to its end, and is not reconnected after the 204', async () => {
    const headers = { authorization: `Bearer ${KEYS.acme.key}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id: 'browser-1' });
    expect((await fetch(`${api.url}/v1/workflows`, { method: 'POST', headers, body })).status).toBe(201);
    await eventually(async () => {
      const status = (await (await fetch(`${api.url}/v1/workflows/browser-1`, { headers })).json()) as { status?: string };
      return status.status === 'waiting' ? true : undefined;
    }, 'browser-1 to wait');

    const page = await browser.newPage();
    try {
      const streamRequests: string[] = [];
      page.on('requestfinished', (request) => {
        if (!new URL(request.url()).pathname.endsWith('/stream')) return;
        void (async () => {
          const headers = await request.allHeaders();
          streamRequests.push(`${request.method()} ${(await request.response())?.status()} ${headers['last-event-id'] ?? 'none'}`);
        })();
      });
      await page.goto(allowed.origin);
      // In the page: mint (preflighted, Authorization), open EventSource with the token, record everything.
      await page.evaluate(
        async ({ base, key }) => {
          const w = globalThis as unknown as { log: string[]; source: EventSource };
          w.log = [];
          const minted = await fetch(`${base}/v1/stream-tokens`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
          w.log.push(`mint ${minted.status}`);
          const { token } = (await minted.json()) as { token: string };
          w.source = new EventSource(`${base}/v1/workflows/browser-1/stream?token=${encodeURIComponent(token)}`);
          w.source.addEventListener('open', () => w.log.push('open'));
          w.source.addEventListener('transition', (event) =>
            w.log.push(`transition ${(JSON.parse((event as unknown as { data: string }).data) as { type: string }).type}`),
          );
          w.source.addEventListener('end', () => w.log.push('end'));
          w.source.addEventListener('error', () => w.log.push(`error ${w.source.readyState}`));
        },
        { base: api.url, key: KEYS.acme.key },
      );
      const log = () => page.evaluate(() => (globalThis as unknown as { log: string[] }).log);
      // The history so far arrives first: the workflow is waiting for a person.
      await eventually(
        async () => ((await log()).some((line) => line.startsWith('transition ')) ? true : undefined),
        'the page to see transitions',
        10_000,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}; the page saw ${JSON.stringify(await log())}`);
      });
      expect((await log()).slice(0, 3)).toEqual(['mint 200', 'open', 'transition WorkflowStarted']);
      const cancel = JSON.stringify({ type: 'CANCEL', data: { reason: 'seen' } });
      expect((await fetch(`${api.url}/v1/workflows/browser-1/events`, { method: 'POST', headers, body: cancel })).status).toBe(202);
      // After `end` the server closes; EventSource reconnects once with Last-Event-ID, gets 204 and stays closed.
      await eventually(
        async () => ((await page.evaluate(() => (globalThis as unknown as { source: EventSource }).source.readyState)) === 2 ? true : undefined),
        'EventSource to close',
        15_000,
      );
      const seen = await log();
      expect(seen[0]).toBe('mint 200');
      expect(seen).toContain('transition WorkflowCancelled');
      expect(seen.indexOf('end')).toBeGreaterThan(seen.indexOf('transition WorkflowCancelled'));
      expect(seen.at(-1)).toBe('error 2');
      // The first connection, then one reconnect from the terminal transition's id, answered 204; no more.
      const { revision } = (await (await fetch(`${api.url}/v1/workflows/browser-1`, { headers })).json()) as { revision: number };
      await eventually(async () => (streamRequests.length >= 2 ? true : undefined), 'both stream requests to be seen', 5_000);
      expect(streamRequests).toEqual(['GET 200 none', `GET 204 ${revision}`]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('cannot read the API from an origin not allowed', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(denied.origin);
      const outcome = await page.evaluate(async (base) => {
        try {
          await fetch(`${base}/v1/stream-tokens`, { method: 'POST', headers: { authorization: 'Bearer whatever-it-is-000' } });
          return 'read';
        } catch (error) {
          return `refused: ${(error as Error).name}`;
        }
      }, api.url);
      expect(outcome).toBe('refused: TypeError');
    } finally {
      await page.close();
    }
  }, 30_000);
});
