import { createHash } from 'node:crypto';
import { Subject } from 'rxjs';
import { z } from 'zod';
import type { ApiPorts, ApiRuntime, TokenDelta, WorkflowStatusView } from '../../../src/api/index.js';
import { ApiError } from '../../../src/api/index.js';
import { createQueriesPort } from '../../../src/api/projectionPorts.js';
import { createMemoryEventStore, workflowStream } from '../../../src/eventstore/index.js';
import { createProjectionQueries, createProjectionRunner, openProjectionDatabase, statusOfStream } from '../../../src/projections/index.js';

/**
 * A runtime with no machine behind it, for tests of the HTTP edge only (status codes, bodies,
 * auth): `start` records WorkflowStarted, `send` records a cancel. The engine-backed tests live in
 * the e2e files.
 */
export function createStubPorts(): ApiPorts & {
  deltas: Subject<TokenDelta>;
  waits: { workflowId: string; ended?: 'time' | 'aborted' }[];
  close(): Promise<void>;
} {
  const store = createMemoryEventStore();
  const db = openProjectionDatabase(':memory:');
  const runner = createProjectionRunner({ store, db });
  runner.start();
  const deltas = new Subject<TokenDelta>();
  /** Every long poll the API asked for, and how it ended (nothing here comes to rest). */
  const waits: { workflowId: string; ended?: 'time' | 'aborted' }[] = [];
  // Nothing runs the stub's workflows: a cancelled one has finished, any other runs on past any wait.
  const outcomeOf = async (workflowId: string, waitMs: number | undefined) => {
    const status = statusOfStream(await store.readStream(workflowStream(workflowId))) as WorkflowStatusView | undefined;
    if (status === undefined) throw new ApiError('WORKFLOW_NOT_FOUND', 'no such workflow');
    return { status, ...(waitMs === undefined ? {} : { outcome: status.status === 'cancelled' ? ('finished' as const) : ('running' as const) }) };
  };
  const runtime: ApiRuntime = {
    definitions: () => [
      {
        name: 'toy',
        version: 1,
        input: z.object({ topic: z.string().min(1) }),
        commands: [{ type: 'CANCEL', data: z.object({ reason: z.string().min(1).optional() }) }],
      },
    ],
    async start({ workflowId, definition, input, tenant, sender, waitMs }) {
      const inputHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
      const existing = await store.readStream(workflowStream(workflowId));
      const first = existing[0];
      if (first !== undefined) {
        if ((first.data as { inputHash?: string }).inputHash !== inputHash) throw new ApiError('WORKFLOW_EXISTS', 'exists with another input');
        return { created: false, ...(await outcomeOf(workflowId, waitMs)) };
      }
      const metadata = {
        workflowId,
        definition,
        version: 1,
        sender,
        at: new Date().toISOString(),
        state: '"running"',
        ...(tenant === undefined ? {} : { tenant }),
      };
      await store.append(
        workflowStream(workflowId),
        [{ type: 'WorkflowStarted', data: { v: 1, workflowId, definition, version: 1, input: input as never, inputHash }, metadata }],
        { expectedRevision: 'no_stream' },
      );
      return { created: true, ...(await outcomeOf(workflowId, waitMs)) };
    },
    async send({ workflowId, type, data, sender }) {
      const existing = await store.readStream(workflowStream(workflowId));
      if (existing.length === 0) throw new ApiError('WORKFLOW_NOT_FOUND', 'no such workflow');
      if (existing.at(-1)!.type === 'WorkflowCancelled') throw new ApiError('EVENT_NOT_ACCEPTED', 'not now', { state: 'cancelled', accepts: [] });
      const reason = (data as { reason?: string } | undefined)?.reason ?? 'cancelled by request';
      const metadata = { workflowId, definition: 'toy', version: 1, sender, at: new Date().toISOString(), state: '"cancelled"' };
      const result = await store.append(
        workflowStream(workflowId),
        [{ type: type === 'CANCEL' ? 'WorkflowCancelled' : type, data: { v: 1, reason }, metadata }],
        { expectedRevision: existing.length - 1 },
      );
      return { revision: result.nextExpectedRevision, position: async () => result.position };
    },
    waitingOn: async () => undefined,
    untilAtRest: (workflowId, waitMs, signal) =>
      new Promise((resolve) => {
        const wait: (typeof waits)[number] = { workflowId };
        waits.push(wait);
        const end = (how: 'time' | 'aborted') => {
          wait.ended ??= how;
          clearTimeout(timer);
          resolve(undefined);
        };
        const timer = setTimeout(() => end('time'), waitMs);
        signal?.addEventListener('abort', () => end('aborted'), { once: true });
      }),
    deltas,
  };
  return {
    runtime,
    queries: createQueriesPort({ runner, queries: createProjectionQueries(db) }),
    store,
    deltas,
    waits,
    async close() {
      await runner.stop();
      await store.close();
      db.close();
    },
  };
}
