import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse, type SseMessage } from './http.js';
import { HOLD_DRAFT, KEYS, briefInput, eventually, type TestServer, type TestServerOptions } from './testServer.js';

/** The API end to end on one kind of store: `start` opens a test server on it. */
export function serveScenarios(store: string, start: (options?: TestServerOptions) => Promise<TestServer>): void {
  let server: TestServer;
  const auth = { authorization: `Bearer ${KEYS.acme.key}` };
  const types = (messages: SseMessage[]) => messages.filter((m) => m.event === 'transition').map((m) => (m.data as { type: string }).type);

  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server.stop();
  });

  describe(`ecl serve over HTTP (${store})`, () => {
    it('creates a brief, follows it over SSE, answers its escalation with REQUEST_REVISION, and sees it complete', async () => {
      const created = await server.call('POST', '/v1/workflows', {
        body: { definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id: 'brief-rr' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ workflowId: 'brief-rr', definition: 'brief' });
      expect(created.headers.get('location')).toBe('/v1/workflows/brief-rr');

      const sse = openSse(server.url, '/v1/workflows/brief-rr/stream', auth);
      expect(await sse.status).toBe(200);
      await eventually(async () => (types(sse.messages).includes('HumanInputRequested') ? true : undefined), 'the escalation');
      const waiting = await server.call('GET', '/v1/workflows/brief-rr');
      expect(waiting.body).toMatchObject({ status: 'waiting', currentStep: 'review' });

      const missingFeedback = await server.call('POST', '/v1/workflows/brief-rr/events', { body: { type: 'REQUEST_REVISION', data: {} } });
      expect(missingFeedback.status).toBe(400);
      expect(missingFeedback.body).toMatchObject({ code: 'INVALID_EVENT_DATA', errors: [{ path: 'data.feedback' }] });

      const sent = await server.call('POST', '/v1/workflows/brief-rr/events', {
        body: { type: 'REQUEST_REVISION', data: { feedback: 'Lead with the adoption figure.' } },
      });
      expect(sent.status).toBe(202);
      expect(sent.body).toMatchObject({ workflowId: 'brief-rr', type: 'REQUEST_REVISION' });
      expect(sent.body.revision).toBeGreaterThan(0);

      await sse.ended;
      const transitions = sse.messages.filter((m) => m.event === 'transition');
      expect(transitions.map((m) => Number(m.id))).toEqual(transitions.map((_, index) => index));
      expect(types(sse.messages).at(-1)).toBe('WorkflowCompleted');
      expect(sse.messages.at(-1)).toMatchObject({ event: 'end', data: { workflowId: 'brief-rr', type: 'WorkflowCompleted' } });
      expect(sse.messages.some((m) => m.event === 'delta' && (m.data as { workflowId: string }).workflowId === 'brief-rr')).toBe(true);
      const decision = transitions.find((m) => (m.data as { type: string }).type === 'HumanDecisionReceived');
      expect(decision?.data).toMatchObject({ sender: KEYS.acme.id, data: { decision: 'request_revision', feedback: 'Lead with the adoption figure.' } });

      const done = await server.call('GET', '/v1/workflows/brief-rr');
      expect(done.body).toMatchObject({ workflowId: 'brief-rr', status: 'completed' });
      const late = await server.call('POST', '/v1/workflows/brief-rr/events', { body: { type: 'APPROVE' } });
      expect(late.status).toBe(409);
      expect(late.body).toMatchObject({ code: 'EVENT_NOT_ACCEPTED', accepts: [] });
    });

    it('APPROVE accepts an escalated brief; a command it does not accept now is a 409 naming the state and what it accepts', async () => {
      await server.call('POST', '/v1/workflows', { body: { definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id: 'brief-ok' } });
      const waiting = await eventually(async () => {
        const { body } = await server.call('GET', '/v1/workflows/brief-ok');
        return body?.status === 'waiting' ? body : undefined;
      }, 'the escalation');
      expect(waiting.currentStep).toBe('review');

      const approved = await server.call('POST', '/v1/workflows/brief-ok/events', { body: { type: 'APPROVE' } });
      expect(approved.status).toBe(202);
      // Read-your-writes: the very next read by the same key already includes the recorded decision.
      const seen = await server.call('GET', '/v1/workflows/brief-ok');
      expect(seen.body.revision).toBeGreaterThanOrEqual(approved.body.revision);
      expect(seen.body.status).not.toBe('waiting');
      const done = await eventually(async () => {
        const { body } = await server.call('GET', '/v1/workflows/brief-ok');
        return body?.status === 'completed' ? body : undefined;
      }, 'completion');
      expect(done.artifact).toMatchObject({ bytes: expect.any(Number) });

      const audit = await server.call('GET', '/v1/workflows/brief-ok/audit');
      expect(audit.status).toBe(200);
      expect(audit.body.workflowId).toBe('brief-ok');
      const entries = audit.body.entries as Array<{ type: string; sender: string; workflowId: string }>;
      expect(entries[0]).toMatchObject({ type: 'WorkflowStarted', sender: KEYS.acme.id, workflowId: 'brief-ok' });
      expect(entries.find((entry) => entry.type === 'HumanDecisionReceived')?.sender).toBe(KEYS.acme.id);
      expect(entries.at(-1)?.type).toBe('WorkflowCompleted');
    });

    it('cancels a running workflow: its model call is aborted and the stream ends', async () => {
      const held = await start({ script: HOLD_DRAFT });
      try {
        await held.call('POST', '/v1/workflows', { body: { definition: 'brief', input: briefInput(), id: 'run-cancel' } });
        const sse = openSse(held.url, '/v1/workflows/run-cancel/stream', auth);
        await eventually(
          async () =>
            sse.messages.some(
              (m) =>
                m.event === 'transition' &&
                (m.data as { type: string; data: { step?: string } }).type === 'StepStarted' &&
                (m.data as { data: { step: string } }).data.step === 'draft',
            )
              ? true
              : undefined,
          'the draft step to start',
        );
        const running = await held.call('GET', '/v1/workflows/run-cancel');
        expect(running.body).toMatchObject({ status: 'running', currentStep: 'draft' });

        const cancelled = await held.call('POST', '/v1/workflows/run-cancel/events', { body: { type: 'CANCEL', data: { reason: 'no longer needed' } } });
        expect(cancelled.status).toBe(202);
        await sse.ended;
        expect(types(sse.messages).at(-1)).toBe('WorkflowCancelled');
        const after = await held.call('GET', '/v1/workflows/run-cancel');
        expect(after.body).toMatchObject({ status: 'cancelled', reason: 'no longer needed' });
      } finally {
        await held.stop();
      }
    });

    it('resumes a stream from Last-Event-ID and answers 204 (stop) after a finished workflow', async () => {
      const all = openSse(server.url, '/v1/workflows/brief-rr/stream', auth);
      await all.ended;
      const last = all.messages.filter((m) => m.event === 'transition').at(-1)!;
      const resumed = openSse(server.url, '/v1/workflows/brief-rr/stream', { ...auth, 'last-event-id': String(Number(last.id) - 2) });
      await resumed.ended;
      expect(resumed.messages.filter((m) => m.event === 'transition').map((m) => Number(m.id))).toEqual([Number(last.id) - 1, Number(last.id)]);
      const after = openSse(server.url, '/v1/workflows/brief-rr/stream', { ...auth, 'last-event-id': last.id! });
      await after.ended;
      // At or past the terminal event: 204 No Content, the SSE way to tell a client to stop reconnecting.
      expect(await after.status).toBe(204);
      expect(after.messages).toEqual([]);
    });

    it('starts idempotently: the same id and input is a 200, another input a 409, and neither appends', async () => {
      const body = { definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id: 'brief-ok' };
      const before = await server.store.headPosition();
      const again = await server.call('POST', '/v1/workflows', { body });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ workflowId: 'brief-ok', status: 'completed' });
      const other = await server.call('POST', '/v1/workflows', { body: { ...body, input: briefInput({ instructions: 'Something else.' }) } });
      expect(other.status).toBe(409);
      expect(other.body.code).toBe('WORKFLOW_EXISTS');
      expect(await server.store.headPosition()).toBe(before);
    });

    it('lists with filters and pagination, and summarizes metrics', async () => {
      const briefs = await server.call('GET', '/v1/workflows?definition=brief');
      expect(briefs.status).toBe(200);
      expect((briefs.body.items as Array<{ workflowId: string }>).map((item) => item.workflowId).sort()).toEqual(['brief-ok', 'brief-rr']);
      const completed = await server.call('GET', '/v1/workflows?status=completed&definition=brief');
      expect(completed.body.items).toHaveLength(2);
      expect((await server.call('GET', '/v1/workflows?status=cancelled')).body.items).toEqual([]);
      const first = await server.call('GET', '/v1/workflows?limit=1');
      expect(first.body.items).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await server.call('GET', `/v1/workflows?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.items[0].workflowId).not.toBe(first.body.items[0].workflowId);
      const bad = await server.call('GET', '/v1/workflows?status=sleeping');
      expect(bad.body).toMatchObject({ code: 'INVALID_QUERY', errors: [{ path: 'status' }] });

      const summary = await server.call('GET', '/v1/metrics/summary');
      expect(summary.body.workflows).toMatchObject({ total: 2, byStatus: { completed: 2 } });
      const definitions = await server.call('GET', '/v1/definitions');
      const brief = (definitions.body.definitions as Array<{ name: string; inputSchema: { properties: object }; commands: Array<{ type: string }> }>).find(
        (d) => d.name === 'brief',
      );
      expect(brief?.inputSchema.properties).toHaveProperty('instructions');
      expect(brief?.commands.map((c) => c.type)).toEqual(['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL']);
      const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/ecl_workflows\{status="completed"\} 2/);
      expect(metrics).toMatch(/ecl_store_appends_total [1-9]/);
      expect(metrics).toMatch(/ecl_model_calls_total [1-9]/);
    });
  });
}
