import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowStream } from '../../src/eventstore/index.js';
import { openSse } from './support/http.js';
import { KEYS, briefInput, eventually, startTestServer, type TestServer } from './support/testServer.js';

// Issue 14, item 5: the 202 of a command names the revision of the event it recorded, so a client
// resuming an SSE stream from it sees every event after it, the ones the command caused included.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

async function waiting(id: string): Promise<void> {
  expect(
    (await server.call('POST', '/v1/workflows', { body: { definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id } })).status,
  ).toBe(201);
  await eventually(async () => ((await server.call('GET', `/v1/workflows/${id}`)).body?.status === 'waiting' ? true : undefined), `${id} to wait for a person`);
}

describe('the revision in a 202', () => {
  it('is the recorded event’s, with the batch’s last beside it; resuming SSE from it misses nothing', async () => {
    for (const [id, command, recorded] of [
      ['rev-approve', { type: 'APPROVE' }, 'HumanDecisionReceived'],
      ['rev-revise', { type: 'REQUEST_REVISION', data: { feedback: 'Shorter.' } }, 'HumanDecisionReceived'],
      ['rev-cancel', { type: 'CANCEL', data: { reason: 'enough' } }, 'WorkflowCancelled'],
    ] as const) {
      await waiting(id);
      const accepted = await server.call('POST', `/v1/workflows/${id}/events`, { body: command });
      expect(accepted.status, id).toBe(202);
      const { revision, lastRevision } = accepted.body as { revision: number; lastRevision: number };
      const log = await server.store.readStream(workflowStream(`acme:${id}`));
      expect(log[revision]?.type, id).toBe(recorded);
      expect(lastRevision, id).toBeGreaterThanOrEqual(revision);
      if (command.type !== 'CANCEL') expect(lastRevision, `${id}: the decision starts the next step in the same batch`).toBeGreaterThan(revision);

      // Resume from the 202's revision: the first event delivered is the one right after the command's.
      const sse = openSse(server.url, `/v1/workflows/${id}/stream`, { authorization: `Bearer ${KEYS.acme.key}`, 'last-event-id': String(revision) });
      await eventually(async () => ((await server.call('GET', `/v1/workflows/${id}`)).body?.status === 'running' ? undefined : true), `${id} to settle`);
      const settled = await server.store.readStream(workflowStream(`acme:${id}`));
      const transitions = () =>
        sse.messages.filter((message) => message.event === 'transition').map((message) => (message.data as { revision: number }).revision);
      if (command.type === 'CANCEL') await sse.ended;
      else await eventually(async () => (transitions().at(-1) === settled.length - 1 ? true : undefined), `${id}: the stream to deliver the log`);
      sse.close();
      expect(transitions(), id).toEqual(settled.slice(revision + 1).map((event) => event.revision));
      if (command.type !== 'CANCEL') expect(transitions()[0], id).toBe(revision + 1);
      else {
        // CANCEL's event is the terminal one: resuming from it is a reconnect after the end, a 204 with nothing in it.
        expect(await sse.status, id).toBe(204);
        expect(sse.messages, id).toEqual([]);
      }
    }
  });
});
