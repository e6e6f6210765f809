import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startServer, type RunningServer } from '../../src/api/index.js';
import { createMemoryEventStore, openEventStore } from '../../src/eventstore/index.js';
import { createOfflineProvider } from '../../src/llm/index.js';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';
import { silentLogger } from '../actors/support/harness.js';

const hello = defineWorkflow({
  name: 'hello',
  version: 1,
  input: z.object({ name: z.string() }),
  steps: [{ kind: 'produce', name: 'greet', run: async (ctx) => `Hello, ${ctx.input.name}` }],
});

/** Waits for a signal: its SSE stream stays open until the server closes it. */
const waiter = defineWorkflow({
  name: 'waiter',
  version: 1,
  input: z.object({}),
  steps: [{ kind: 'signal', name: 'wait', signal: 'go' }],
});

let ecl: RunningServer | undefined;
let own: Server | undefined;
afterAll(async () => {
  await new Promise<void>((resolve) => (own === undefined ? resolve() : own.close(() => resolve())));
  await ecl?.close();
});

describe('the API mounted in a server of your own (listen: false)', () => {
  it('does not listen; its handle serves the API from your server, and its banner says so', async () => {
    ecl = await startServer({
      listen: false,
      // Not listening, it binds nothing: a configured host that `ecl serve` would refuse without API keys does not apply.
      flags: { host: '0.0.0.0' },
      store: createMemoryEventStore(),
      llm: { provider: createOfflineProvider(), description: 'LLM: offline' },
      definitions: createRegistry([hello]),
      logger: silentLogger(),
    });
    expect(ecl.url).toBe('');
    expect(ecl.api.app.server.listening).toBe(false);
    expect(ecl.banner[0]).toBe('ECL API ready, not listening: mount its handle in your own server');
    // Definitions given in code: no module is named.
    expect(ecl.banner).toContain('Workflows: hello (v1)');
    expect(ecl.banner.join('\n')).not.toContain('Try it from another terminal');

    const handle = ecl.handle;
    own = createServer((request, response) => {
      if (request.url === '/mine') return void response.end('my route');
      handle(request, response);
    });
    await new Promise<void>((resolve) => own?.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(own.address() as AddressInfo).port}`;

    expect(await (await fetch(`${base}/mine`)).text()).toBe('my route');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const started = await fetch(`${base}/v1/workflows?wait=5`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ definition: 'hello', input: { name: 'Ada' }, id: 'h1' }),
    });
    expect(started.status).toBe(201);
    expect(await started.json()).toMatchObject({ workflowId: 'h1', status: 'completed', output: 'Hello, Ada' });

    // Closed, the handle still answers your server's requests, with a problem document.
    await ecl.close();
    const closed = await fetch(`${base}/v1/workflows/h1`);
    expect(closed.status).toBe(503);
    expect(closed.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(closed.headers.get('retry-after')).toBe('1');
    expect(await closed.json()).toMatchObject({ code: 'SHUTTING_DOWN', status: 503, instance: '/v1/workflows/h1' });
  });

  it('mounted in your own Fastify app as docs/reference.md shows: a POST is answered, and closing your app closes ECL first, ending its SSE streams', async () => {
    const mounted = await startServer({
      listen: false,
      store: createMemoryEventStore(),
      llm: { provider: createOfflineProvider(), description: 'LLM: offline' },
      definitions: createRegistry([hello, waiter]),
      logger: silentLogger(),
    });
    // The recipe of docs/reference.md (startServer, "In your own Fastify app").
    const app = Fastify();
    app.addHook('onRequest', (request, reply, done) => {
      if (!/^\/(v1\/|console\/|(openapi\.json|healthz|metrics)(\?|$))/.test(request.url)) return done();
      reply.hijack();
      mounted.handle(request.raw, reply.raw);
    });
    app.addHook('preClose', () => mounted.close());
    app.get('/mine', async () => 'my route');
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await (await fetch(`${base}/mine`)).text()).toBe('my route');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/healthzz`)).status).toBe(404);
      const started = await fetch(`${base}/v1/workflows?wait=5`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ definition: 'hello', input: { name: 'Bo' }, id: 'f1' }),
      });
      expect(started.status).toBe(201);
      expect(await started.json()).toMatchObject({ workflowId: 'f1', status: 'completed', output: 'Hello, Bo' });
      const waiting = await fetch(`${base}/v1/workflows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ definition: 'waiter', input: {}, id: 'f2' }),
      });
      expect(waiting.status).toBe(201);
      const stream = await fetch(`${base}/v1/workflows/f2/stream`, { headers: { accept: 'text/event-stream' } });
      expect(stream.status).toBe(200);
      const reader = stream.body!.getReader();
      expect((await reader.read()).done).toBe(false);
      // The stream is open: your app's close waits for it, and the preClose hook ends it by closing ECL.
      await app.close();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read());
    } finally {
      await app.close();
      await mounted.close();
    }
  });
});

it('a SQLite store passed to startServer keeps its read models beside it, and a memory store in memory, whatever the default store would be', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecl-embedded-'));
  try {
    const store = await openEventStore(`sqlite:${join(dir, 'sub', 'x.db')}`);
    const beside = await startServer({
      listen: false,
      store,
      llm: { provider: createOfflineProvider(), description: 'LLM: offline' },
      definitions: createRegistry([hello]),
      logger: silentLogger(),
      cwd: dir,
    });
    try {
      expect(beside.projections.path).toBe(join(dir, 'sub', 'x.projections.db'));
      expect(existsSync(join(dir, 'sub', 'x.projections.db'))).toBe(true);
    } finally {
      await beside.close();
      await store.close();
    }
    // The provider createEngine takes will do: the banner names it.
    const provider = createOfflineProvider();
    const inMemory = await startServer({
      listen: false,
      store: createMemoryEventStore(),
      llm: provider,
      definitions: createRegistry([hello]),
      logger: silentLogger(),
      cwd: dir,
    });
    expect(inMemory.projections.path).toBe(':memory:');
    expect(inMemory.banner).toContain(`LLM: ${provider.name}`);
    await inMemory.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
