import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowStream } from '../../src/eventstore/index.js';
import { createRegistry } from '../../src/machines/index.js';
import { invoice } from '../cli/fixtures/invoice.js';
import { eventually, startTestServer, type TestServer } from './support/testServer.js';

// Signals over HTTP: POST /v1/workflows/:id/events with `type` = the signal's name and `data` its
// payload; the status read model says what the workflow waits for and when it wakes.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ definitions: createRegistry([invoice]) });
});
afterAll(async () => {
  await server.stop();
});

const raw = async (id: string): Promise<string> =>
  JSON.stringify(await server.store.readStream(workflowStream(`acme:${id}`)), (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));

async function start(id: string, input: Record<string, unknown>): Promise<void> {
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'invoice', input: { customer: 'Ada', ...input }, id } })).status).toBe(201);
}

const statusWhen = (id: string, status: string) =>
  eventually(async () => {
    const got = await server.call('GET', `/v1/workflows/${id}`);
    return got.body?.status === status ? (got.body as Record<string, unknown>) : undefined;
  }, `${id} to be ${status}`);

describe('signals over HTTP', () => {
  it('a sleeping workflow shows running with wakeAt; one waiting for a signal shows waitingFor and accepts, the signal first', async () => {
    await start('nap', { graceMs: 3_600_000 });
    const sleeping = await eventually(async () => {
      const got = await server.call('GET', '/v1/workflows/nap');
      return got.body?.wakeReason === 'sleep' ? (got.body as Record<string, unknown>) : undefined;
    }, 'nap to sleep');
    expect(sleeping).toMatchObject({ status: 'running', currentStep: 'grace', accepts: ['CANCEL'], deadline: { onPass: 'fail' } });
    expect(Date.parse(sleeping.wakeAt as string)).toBeGreaterThan(Date.now() + 3_000_000);
    expect((await server.call('POST', '/v1/workflows/nap/events', { body: { type: 'CANCEL' } })).status).toBe(202);

    await start('inv-1', { graceMs: 20 });
    expect(await statusWhen('inv-1', 'waiting')).toMatchObject({
      currentStep: 'paid',
      accepts: ['payment', 'CANCEL'],
      waitingFor: { step: 'paid', kind: 'signal', signal: 'payment', timeoutAt: expect.stringMatching(/^\d{4}-/) },
    });
    const listed = await server.call('GET', '/v1/workflows?status=waiting');
    expect(listed.body.items.map((item: { workflowId: string }) => item.workflowId)).toEqual(['inv-1']);
  });

  it('invalid data is a 400 naming data.<field>, and the stream is unchanged byte for byte', async () => {
    const before = await raw('inv-1');
    const negative = await server.call('POST', '/v1/workflows/inv-1/events', { body: { type: 'payment', data: { amount: -3, currency: 'EUR' } } });
    expect(negative.status).toBe(400);
    expect(negative.body).toMatchObject({ code: 'INVALID_EVENT_DATA', errors: [{ path: 'data.amount' }] });
    const missing = await server.call('POST', '/v1/workflows/inv-1/events', { body: { type: 'payment', data: { amount: 5 } } });
    expect(missing.status).toBe(400);
    // A missing field is worded for people, not as zod's "received undefined".
    expect(missing.body.errors).toEqual([{ path: 'data.currency', message: 'Required: expected string' }]);
    const noInput = await server.call('POST', '/v1/workflows', { body: { definition: 'invoice', id: 'no-input' } });
    expect(noInput.status).toBe(400);
    expect(noInput.body.errors).toEqual([{ path: 'input', message: "Required: the workflow's input, a JSON value ({} when none of its fields is required)" }]);
    const noCustomer = await server.call('POST', '/v1/workflows', { body: { definition: 'invoice', id: 'no-customer', input: {} } });
    expect(noCustomer.body).toMatchObject({ code: 'INVALID_INPUT', errors: [{ path: 'input.customer', message: 'Required: expected string' }] });
    const none = await server.call('POST', '/v1/workflows/inv-1/events', { body: { type: 'payment' } });
    expect(none.status).toBe(400);
    expect(none.body.code).toBe('INVALID_EVENT_DATA');
    // A command's misspelled field is refused, not dropped (CANCEL is accepted here, so only the field can be wrong).
    const misspelled = await server.call('POST', '/v1/workflows/inv-1/events', { body: { type: 'CANCEL', data: { reasons: 'paid by cheque' } } });
    expect(misspelled.status).toBe(400);
    expect(misspelled.body).toMatchObject({ code: 'INVALID_EVENT_DATA', errors: [{ path: 'data', message: 'Unrecognized key: "reasons"' }] });
    // A command's field beside `type`, as the engine takes it: the answer says where it goes.
    const topLevel = await server.call('POST', '/v1/workflows/inv-1/events', { body: { type: 'CANCEL', reason: 'paid by cheque' } });
    expect(topLevel.status).toBe(400);
    expect(topLevel.body).toMatchObject({
      code: 'INVALID_BODY',
      detail: 'The request body is not a valid command: a command\'s fields and a signal\'s payload go in `data`, e.g. {"type":"APPROVE","data":{"note":"…"}}',
    });
    expect(await raw('inv-1')).toBe(before);
  });

  it('a command the workflow does not wait for is a 409 listing what it accepts; a signal its definition lacks is a 400; nothing is recorded', async () => {
    const before = await raw('inv-1');
    // A typo is a client error for good, not "try later".
    const refund = await server.call('POST', '/v1/workflows/inv-1/events', { body: { type: 'refund', data: {} } });
    expect(refund.status).toBe(400);
    expect(refund.body).toMatchObject({
      code: 'UNKNOWN_EVENT_TYPE',
      detail: 'Workflow "invoice" has no signal step waiting for "refund"; its signals: payment',
      errors: [{ path: 'type', message: 'Workflow "invoice" has no signal step waiting for "refund"; its signals: payment' }],
    });
    // A command typed in lower case, or capitalised, is pointed to its name, whatever the workflow accepts now.
    const lower = await server.call('POST', '/v1/workflows/inv-1/events', { body: { type: 'approve' } });
    expect(lower.body).toMatchObject({ code: 'UNKNOWN_EVENT_TYPE', detail: expect.stringMatching(/\(commands are upper case: did you mean APPROVE\?\)$/) });
    const capitalised = await server.call('POST', '/v1/workflows/inv-1/events', { body: { type: 'Approve' } });
    expect(capitalised.status).toBe(400);
    expect(capitalised.body).toMatchObject({
      code: 'UNKNOWN_EVENT_TYPE',
      detail:
        '"Approve" is neither a command nor a signal name; known: APPROVE, REJECT, REQUEST_REVISION, CANCEL, payment (commands are upper case: did you mean APPROVE?)',
    });
    expect(capitalised.body.errors).toEqual([{ path: 'type', message: capitalised.body.detail }]);
    const approve = await server.call('POST', '/v1/workflows/inv-1/events', { body: { type: 'APPROVE' } });
    expect(approve.status).toBe(409);
    expect(approve.body.accepts).toEqual(['payment', 'CANCEL']);
    expect(await raw('inv-1')).toBe(before);
  });

  it('valid data is a 202 naming the recorded SignalReceived; the workflow moves on and the audit shows the signal', async () => {
    const accepted = await server.call('POST', '/v1/workflows/inv-1/events', { body: { type: 'payment', data: { amount: 12.5, currency: 'EUR' } } });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ workflowId: 'inv-1', type: 'payment' });
    const log = await server.store.readStream(workflowStream('acme:inv-1'));
    expect(log[accepted.body.revision as number]).toMatchObject({
      type: 'SignalReceived',
      data: { signal: 'payment', data: { amount: 12.5, currency: 'EUR' } },
    });
    const done = await statusWhen('inv-1', 'completed');
    expect(done).toMatchObject({ output: 'received 12.5 EUR', accepts: [] });
    expect(done.waitingFor).toBeUndefined();
    const audit = await server.call('GET', '/v1/workflows/inv-1/audit');
    const summaries = (audit.body.entries as { summary: string }[]).map((entry) => entry.summary);
    expect(summaries).toContain('signal payment received at paid: {"amount":12.5,"currency":"EUR"}');
    expect(summaries.some((summary) => /^bill attempt 1 failed: BUSY: billing service busy — retry at /.test(summary))).toBe(true);
  });

  it('GET ?wait= is a long poll: it answers once the workflow waits for someone or finishes, and at once when it is not running', async () => {
    await start('poll-1', { graceMs: 300 });
    // Through the retried bill and the sleep, to the signal wait (the vitest timeout bounds the call, not the assertion).
    const parked = await server.call('GET', '/v1/workflows/poll-1?wait=120');
    expect(parked.status).toBe(200);
    expect(parked.body).toMatchObject({ status: 'waiting', waitingFor: { signal: 'payment' } });
    expect((await server.call('GET', '/v1/workflows/poll-1?wait=300')).body.status).toBe('waiting');
    expect((await server.call('POST', '/v1/workflows/poll-1/events', { body: { type: 'payment', data: { amount: 1, currency: 'EUR' } } })).status).toBe(202);
    const done = await server.call('GET', '/v1/workflows/poll-1?wait=120');
    expect(done.body).toMatchObject({ status: 'completed', output: 'received 1 EUR' });
    expect((await server.call('GET', '/v1/workflows/poll-1?wait=300')).body.status).toBe('completed');
    const bad = await server.call('GET', '/v1/workflows/poll-1?wait=soon');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_QUERY', errors: [{ path: 'wait' }] });
    expect((await server.call('GET', '/v1/workflows/nobody?wait=300')).status).toBe(404);
  });

  it('the OpenAPI document says `type` may be a signal and describes waitingFor and wakeAt', async () => {
    const openapi = (await server.call('GET', '/openapi.json', { key: null })).body;
    const send = openapi.paths['/v1/workflows/{id}/events'].post;
    expect(send.description).toMatch(/signal/);
    expect(send.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SendEvent' });
    const type = openapi.components.schemas.SendEvent.properties.type;
    expect(type.description).toMatch(/name of a signal/);
    // The registered definitions' signals are listed beside the commands.
    expect(type.enum).toEqual(expect.arrayContaining(['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL', 'payment']));
    expect(openapi.paths['/v1/workflows/{id}'].get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/WorkflowStatus',
    });
    const status = openapi.components.schemas.WorkflowStatus;
    expect(Object.keys(status.properties)).toEqual(expect.arrayContaining(['accepts', 'waitingFor', 'wakeAt', 'wakeReason', 'deadline']));
    expect(status.properties.waitingFor.properties.kind.enum).toEqual(['cap', 'budget', 'approval', 'signal']);
  });
});
