import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/eventstore/index.js';
import { createWorkflowInspection, InspectorRelayError, startInspectorRelay, type InspectorRelay } from '../../src/inspect/index.js';
import { connectInspector } from './support/inspectorClient.js';

const relays: InspectorRelay[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
});
const start = async () => {
  const relay = await startInspectorRelay({ port: 0 });
  relays.push(relay);
  return relay;
};

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
};

const recorded = (revision: number, type: string, state: unknown): RecordedEvent => ({
  id: `00000000-0000-4000-8000-00000000000${revision}`,
  stream: 'ecl.workflow-wf-1',
  type,
  revision,
  position: BigInt(revision + 1),
  data: { v: 1 },
  metadata: { workflowId: 'wf-1', definition: 'brief', version: 1, sender: 'system', at: '2025-01-01T00:00:00.000Z', state: JSON.stringify(state) },
  created: new Date(0),
});

describe('inspector relay', () => {
  it('binds 127.0.0.1, serves the bridge page, and relays actor, events and snapshots', async () => {
    const relay = await start();
    expect(relay.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(relay.url);
    expect(await page.text()).toContain('stately.ai/inspect');

    const { socket, messages } = await connectInspector(relay.url);
    const inspection = createWorkflowInspection(relay.inspector);
    inspection.record(recorded(0, 'WorkflowStarted', { extract: 'running' }));
    inspection.record(recorded(1, 'WorkflowCompleted', 'completed'));
    await until(() => messages.length >= 5);
    socket.close();

    expect(messages[0]).toMatchObject({ type: '@xstate.actor', sessionId: 'wf-1' });
    expect(messages.filter((m) => m.type === '@xstate.event').map((m) => m.event?.type)).toEqual(['WorkflowStarted', 'WorkflowCompleted']);
    expect(messages.filter((m) => m.type === '@xstate.snapshot').map((m) => m.snapshot?.value)).toEqual([{ extract: 'running' }, 'completed']);
    expect(messages.at(-1)?.snapshot?.status).toBe('done');
    expect(inspection.live()).toEqual([]);
  });

  it('replays actors and recent events to a page that connects late', async () => {
    const relay = await start();
    const inspection = createWorkflowInspection(relay.inspector);
    inspection.record(recorded(0, 'WorkflowStarted', { extract: 'running' }));
    const { socket, messages } = await connectInspector(relay.url);
    await until(() => messages.length >= 3);
    socket.close();
    expect(messages.map((m) => m.type)).toEqual(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);
  });

  it('refuses cross-site pages and non-loopback hosts', async () => {
    const relay = await start();
    await expect(connectInspector(relay.url, { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(startInspectorRelay({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/loopback/);
  });

  it('says so when the port is in use, and frees the port on close', async () => {
    const relay = await start();
    const busy = startInspectorRelay({ port: relay.port });
    await expect(busy).rejects.toBeInstanceOf(InspectorRelayError);
    await expect(busy).rejects.toThrow(/EADDRINUSE.*choose another port.*0 picks a free one/);
    const { socket } = await connectInspector(relay.url);
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await relay.close();
    relays.splice(relays.indexOf(relay), 1);
    await closed;
    const again = await startInspectorRelay({ port: relay.port });
    relays.push(again);
    expect(again.port).toBe(relay.port);
  });
});
