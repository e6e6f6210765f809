import { runInNewContext } from 'node:vm';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { bridgePage, inspectorNotice, PAGE_BUFFER_LIMIT, startInspectorRelay, type InspectorRelay } from '../../src/inspect/index.js';

/**
 * Runs the bridge page's script against a stand-in DOM: the hosted inspector never answers (no
 * internet), so every event from the relay waits in the page.
 */
function offlinePage(html: string) {
  const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
  const notice = { textContent: '', remove: () => undefined };
  const posted: unknown[] = [];
  const listeners: ((event: { data: unknown }) => void)[] = [];
  const sockets: { onmessage?: (message: { data: string }) => void }[] = [];
  const context = {
    document: {
      getElementById: (id: string) => (id === 'notice' ? notice : { src: '', contentWindow: { postMessage: (item: unknown) => posted.push(item) } }),
    },
    window: { addEventListener: (_type: string, listener: (event: { data: unknown }) => void) => listeners.push(listener) },
    location: { protocol: 'http:', host: '127.0.0.1:1' },
    WebSocket: function WebSocket(this: (typeof sockets)[number]) {
      sockets.push(this);
    },
    JSON,
  };
  runInNewContext(script, context);
  return {
    notice,
    posted,
    receive: (event: unknown) => sockets[0]!.onmessage!({ data: JSON.stringify(event) }),
    connect: () => listeners.forEach((listener) => listener({ data: { type: '@statelyai.connected' } })),
  };
}

const relays: InspectorRelay[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
});

describe('the inspector without internet', () => {
  it("the notice says the inspector is hosted, needs internet access, and that ECL's own console works offline", () => {
    const text = inspectorNotice('http://127.0.0.1:8080/');
    expect(text).toContain('http://127.0.0.1:8080/');
    expect(text).toContain('hosted at https://stately.ai/inspect');
    expect(text).toContain('needs internet access');
    expect(text).toContain("ECL's own console, at /console/ of the API, works offline");
    expect(bridgePage('https://stately.ai/inspect')).toMatch(/hosted at https:\/\/stately\.ai\/inspect and needs internet access/);
  });

  it('the page keeps at most its limit of events while the inspector never connects, dropping the oldest and saying how many', () => {
    const page = offlinePage(bridgePage('https://stately.ai/inspect', 5));
    for (let n = 1; n <= 12; n++) page.receive({ type: '@xstate.event', n });
    expect(page.posted).toEqual([]);
    expect(page.notice.textContent).toMatch(/kept the latest 5 events, dropped 7 older ones/);
    page.connect();
    expect(page.posted).toEqual([8, 9, 10, 11, 12].map((n) => ({ type: '@xstate.event', n })));
    expect(page.notice.textContent).toMatch(/7 older events were dropped/);
    page.receive({ type: '@xstate.event', n: 13 });
    expect(page.posted).toHaveLength(6);
  });

  it('the page a live relay serves is bounded (twice its buffer); a replay relay keeps a finite history whole', async () => {
    expect(Number.isFinite(PAGE_BUFFER_LIMIT)).toBe(true);
    expect(bridgePage('https://stately.ai/inspect')).toContain(`const LIMIT = ${PAGE_BUFFER_LIMIT};`);
    const live = await startInspectorRelay({ port: 0 });
    relays.push(live);
    expect(await (await fetch(live.url)).text()).toContain('const LIMIT = 2000;');
    const replay = await startInspectorRelay({ port: 0, bufferSize: Number.POSITIVE_INFINITY });
    relays.push(replay);
    expect(await (await fetch(replay.url)).text()).toContain('const LIMIT = Infinity;');
  });

  it('a relay nobody connects to keeps at most bufferSize events, counts what it dropped and warns once', async () => {
    const logs = new PassThrough();
    let logged = '';
    logs.on('data', (chunk: Buffer) => (logged += chunk.toString()));
    const logger = winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Stream({ stream: logs })] });
    const relay = await startInspectorRelay({ port: 0, bufferSize: 3, logger });
    relays.push(relay);
    for (let n = 0; n < 10; n++) relay.inspector.event('session-1', { type: `E${n}` });
    expect(relay.dropped()).toBe(7);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(logged.match(/buffer full/g)).toHaveLength(1);
  });
});
