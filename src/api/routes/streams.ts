import type { FastifyInstance, FastifyRequest } from 'fastify';
import { filter, type Subscription } from 'rxjs';
import { WORKFLOW_CATEGORY, workflowIdOf, workflowStream, type RecordedEvent } from '../../eventstore/index.js';
import { isTerminalEventType } from '../../machines/index.js';
import { principalOf, type ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { openSse, type SseConnection } from '../sse.js';
import type { StreamTokens } from '../streamTokens.js';
import { CANONICAL_INTEGER, WorkflowIdParams } from '../schemas.js';
import { externalize, scopeOf, type TenantScope } from '../tenancy.js';
import { parseOr } from '../validate.js';
import { notFound, recordedFor } from './queries.js';

/**
 * SSE streams. Event types: `transition` (a recorded event; its id is the stream revision on a
 * workflow stream, the global position on /v1/stream), `delta` (live model tokens, never
 * recorded, no id) and `end` (the workflow finished; the server then closes the stream). A
 * reconnect at or past the terminal event is a 204, the SSE way to tell a client to stop.
 */
export function registerStreamRoutes(app: FastifyInstance, ctx: ApiContext, tokens: StreamTokens): void {
  // For EventSource, which cannot send Authorization: minted with the key, accepted as ?token= on the two SSE routes only.
  app.post('/v1/stream-tokens', async (request, reply) => reply.header('Cache-Control', 'no-store').send(tokens.mint(principalOf(request))));

  app.get('/v1/workflows/:id/stream', async (request, reply) => {
    const scope = scopeOf(principalOf(request));
    const { id } = parseOr(WorkflowIdParams, request.params, 'INVALID_ID', 'Bad workflow id');
    const workflowId = scope.internal(id);
    const afterRevision = lastEventId(request, MAX_REVISION) ?? -1n;
    const stream = workflowStream(workflowId);
    const [[first], [last]] = await Promise.all([
      ctx.store.readStream(stream, { limit: 1 }),
      ctx.store.readStream(stream, { direction: 'backwards', limit: 1 }),
    ]);
    if (first === undefined || last === undefined || !recordedFor(scope, (first.metadata as { tenant?: unknown }).tenant)) throw notFound(id);
    // Its `end` went out on an earlier connection (the terminal transition's id is the client's Last-Event-ID).
    if (isTerminalEventType(last.type) && BigInt(last.revision) <= afterRevision) return reply.code(204).send();
    if (request.method === 'HEAD') return reply.type('text/event-stream').send();
    reserveStream(ctx);
    const sse = track(ctx, openSse(request, reply));
    const subscriptions: Subscription[] = [];
    sse.onClose(() => subscriptions.forEach((subscription) => subscription.unsubscribe()));
    subscriptions.push(
      ctx.hub.deltas(workflowId).subscribe((delta) => sse.send('delta', { ...delta, workflowId: id })),
      ctx.hub.follow(stream, afterRevision < 0n ? -1 : Number(afterRevision)).subscribe({
        next: (event) => {
          sse.send('transition', transitionOf(event, scope), String(event.revision));
          if (isTerminalEventType(event.type)) {
            sse.send('end', { workflowId: id, type: event.type, revision: event.revision });
            sse.close();
          }
        },
        error: (error: unknown) => {
          ctx.logger.warn('workflow stream subscription failed', { workflowId, error: (error as Error).message });
          sse.close();
        },
        complete: () => sse.close(),
      }),
    );
  });

  app.get('/v1/stream', async (request, reply) => {
    const scope = scopeOf(principalOf(request));
    const after = lastEventId(request, MAX_POSITION);
    const afterPosition = after ?? (await ctx.store.headPosition()) ?? undefined;
    const prefix = `${WORKFLOW_CATEGORY}-${scope.tenant === undefined ? '' : `${scope.tenant}:`}`;
    if (request.method === 'HEAD') return reply.type('text/event-stream').send();
    reserveStream(ctx);
    const sse = track(ctx, openSse(request, reply));
    const subscriptions: Subscription[] = [];
    sse.onClose(() => subscriptions.forEach((subscription) => subscription.unsubscribe()));
    subscriptions.push(
      ctx.runtime.deltas.pipe(filter((delta) => scope.owns(delta.workflowId))).subscribe((delta) => sse.send('delta', externalize(delta, scope))),
      ctx.store
        .subscribeToAll({ filter: { streamPrefixes: [prefix] }, ...(afterPosition === undefined || afterPosition < 0n ? {} : { afterPosition }) })
        .pipe(filter((event) => scope.owns(workflowIdOf(event.stream) ?? ':')))
        .subscribe({
          next: (event) => sse.send('transition', transitionOf(event, scope), event.position.toString()),
          error: (error: unknown) => {
            ctx.logger.warn('tenant stream subscription failed', { tenant: scope.tenant, error: (error as Error).message });
            sse.close();
          },
          complete: () => sse.close(),
        }),
    );
  });
}

/** The largest id each stream hands out: a revision is a JavaScript safe integer, a log position an unsigned 64-bit number. */
const MAX_REVISION = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_POSITION = 2n ** 64n - 1n;

/**
 * Last-Event-ID from the header (reconnects) or `?lastEventId=` (first connect from a browser):
 * exactly an id the stream hands out, a canonical non-negative integer up to `max`, or a 400.
 * Absent means from the start (a workflow stream) or live (the tenant stream).
 */
function lastEventId(request: FastifyRequest, max: bigint): bigint | undefined {
  const header = request.headers['last-event-id'];
  const query = (request.query as Record<string, unknown> | undefined)?.lastEventId;
  const raw = header !== undefined ? header : query;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !CANONICAL_INTEGER.test(raw) || BigInt(raw) > max) {
    throw new ApiError('INVALID_HEADER', 'Last-Event-ID must be the id of an event this stream sent', {
      errors: [{ path: 'Last-Event-ID', message: `expected a whole number from 0 to ${max} in decimal digits` }],
    });
  }
  return BigInt(raw);
}

function reserveStream(ctx: ApiContext): void {
  if (!ctx.accepting) throw new ApiError('SHUTTING_DOWN', 'The server is shutting down');
  if (ctx.streams.size >= ctx.config.maxSseClients) throw new ApiError('TOO_MANY_STREAMS', 'Too many open streams; retry later');
}

function track(ctx: ApiContext, sse: SseConnection): SseConnection {
  ctx.streams.add(sse);
  sse.onClose(() => ctx.streams.delete(sse));
  return sse;
}

/** A recorded event as SSE clients see it: the client's id, and the machine state parsed. */
export function transitionOf(event: RecordedEvent, scope: TenantScope) {
  const metadata = event.metadata as Record<string, unknown>;
  let state: unknown;
  if (typeof metadata.state === 'string') {
    try {
      state = JSON.parse(metadata.state);
    } catch {
      state = metadata.state;
    }
  }
  const internalId = workflowIdOf(event.stream) ?? '';
  return {
    workflowId: scope.external(internalId) ?? internalId,
    revision: event.revision,
    position: event.position.toString(),
    type: event.type,
    data: externalize(event.data, scope),
    ...(state === undefined ? {} : { state }),
    step: metadata.step ?? null,
    sender: metadata.sender ?? null,
    at: metadata.at ?? event.created.toISOString(),
  };
}
