import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectInspector } from '../inspect/support/inspectorClient.js';
import { briefInput, eventually, startTestServer, type TestServer } from './support/testServer.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ inspect: true });
});
afterAll(async () => {
  await server.stop();
});

it('ecl serve --inspect relays each live workflow as an actor with its statechart, events and snapshots, on 127.0.0.1', async () => {
  const relayUrl = server.inspection!.relay.url;
  expect(relayUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  expect(await (await fetch(relayUrl)).text()).toContain('<iframe');

  const { socket, messages } = await connectInspector(relayUrl);

  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'brief', input: briefInput(), id: 'inspected' } })).status).toBe(201);
  const ended = await eventually(
    async () => (messages.some((m) => m.type === '@xstate.event' && m.event?.type === 'WorkflowCompleted') ? true : undefined),
    'the completion to be relayed',
  );
  expect(ended).toBe(true);
  socket.close();

  const mine = messages.filter((m) => m.sessionId === 'acme:inspected');
  const actor = mine.find((m) => m.type === '@xstate.actor');
  expect(actor).toBeDefined();
  expect(JSON.parse(actor!.definition!)).toMatchObject({
    id: 'brief',
    states: expect.objectContaining({ extract: expect.any(Object), draft: expect.any(Object) }),
  });
  const events = mine.filter((m) => m.type === '@xstate.event').map((m) => m.event!.type);
  expect(events[0]).toBe('WorkflowStarted');
  expect(events).toContain('StepCompleted');
  expect(events.at(-1)).toBe('WorkflowCompleted');
  const snapshots = mine.filter((m) => m.type === '@xstate.snapshot');
  expect(snapshots).toHaveLength(events.length);
  expect(snapshots.some((m) => JSON.stringify(m.snapshot?.value) === '{"draft":"running"}')).toBe(true);
  expect(snapshots.at(-1)?.snapshot).toMatchObject({ status: 'done', value: 'completed' });
});
