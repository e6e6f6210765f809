import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RecordedEvent } from '../../src/eventstore/index.js';
import { createWorkflowInspection, startInspectorRelay, type InspectorRelay } from '../../src/inspect/index.js';

const relays: InspectorRelay[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
});
const start = async () => {
  const relay = await startInspectorRelay({ port: 0 });
  relays.push(relay);
  return relay;
};

interface Received {
  type: string;
  sessionId: string;
  definition?: string;
  event?: { type: string };
  snapshot?: { value?: unknown; status?: string };
}

function connect(url: string, headers?: Record<string, string>): Promise<{ socket: WebSocket; messages: Received[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, headers === undefined ? undefined : { headers });
    const messages: Received[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as Received));
    socket.on('open', () => resolve({ socket, messages }));
    socket.on('error', reject);
    socket.on('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
}

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

    const { socket, messages } = await connect(`${relay.url.replace('http', 'ws')}ws`);
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
    const { socket, messages } = await connect(`${relay.url.replace('http', 'ws')}ws`);
    await until(() => messages.length >= 3);
    socket.close();
    expect(messages.map((m) => m.type)).toEqual(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);
  });

  it('refuses cross-site pages and non-loopback hosts', async () => {
    const relay = await start();
    await expect(connect(`${relay.url.replace('http', 'ws')}ws`, { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(startInspectorRelay({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/loopback/);
  });
});
