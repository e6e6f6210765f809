import createClient from 'openapi-fetch';
import type { AnyWorkflowDefinition, OutputOf } from '../../machines/index.js';
import { ApiClientError } from './errors.js';
import type { components, paths } from './openapi.js';
import { readSse } from './readSse.js';

type Schemas = components['schemas'];
export type WorkflowStatus = Schemas['WorkflowStatus'];
export type StreamedTransition = Schemas['Transition'];
export type StreamedDelta = Schemas['Delta'];
export type StartWorkflow = Schemas['StartWorkflow'];
export type EventAccepted = Schemas['EventAccepted'];
/** `idempotencyKey`: your id for the command (sent as Idempotency-Key): a retry with it is not recorded twice. */
export interface SendOptions {
  idempotencyKey?: string | undefined;
}
export type ListQuery = NonNullable<paths['/v1/workflows']['get']['parameters']['query']>;
/** A workflow's status whose `output` has the definition's declared output type (null until it completes). */
export type TypedStatus<D> = Omit<WorkflowStatus, 'output'> & { output: OutputOf<D> | null };

export interface FollowHandlers {
  onTransition?: (transition: StreamedTransition) => void | 'stop';
  onDelta?: (delta: StreamedDelta) => void;
  /** Resume after this revision (Last-Event-ID). */
  after?: number;
  signal?: AbortSignal;
}

export interface FollowResult {
  /** The terminal event type, or undefined when the handler stopped early or the caller aborted. */
  ended?: string;
  lastRevision: number | undefined;
}

export interface ApiClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; none in open single-tenant mode (`process.env.ECL_API_KEY` may be passed as it is). */
  apiKey?: string | undefined;
  /** Reconnects of a dropped stream before giving up (default 5). */
  maxReconnects?: number | undefined;
  /** A fetch to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch | undefined;
}

/** What `run` resolves to: the final status, with `output` when it completed. */
export interface RunResult {
  status: WorkflowStatus;
  /** False when the wait ended first, or the workflow waits for a person or a signal (HTTP 202). */
  finished: boolean;
}

/**
 * A typed client of the v1 API, its types generated from the server's OpenAPI document
 * (openapi-fetch over src/api/client/openapi.ts): what `ecl --server` uses. Problems reject with
 * an `ApiClientError` carrying the stable `code`.
 */
export function createApiClient(options: ApiClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` };
  const api = createClient<paths>({ baseUrl: base, headers, fetch: (request) => fetchImpl(request) });

  /** The body of a 2xx, else the problem as an ApiClientError; a transport failure is UNREACHABLE. */
  const answer = async <T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<{ data: T; response: Response }> => {
    let outcome: { data?: T; error?: unknown; response: Response };
    try {
      outcome = await call;
    } catch (cause) {
      throw new ApiClientError('UNREACHABLE', 0, `Cannot reach the ECL server at ${base}: ${(cause as Error).message}`, {}, { cause });
    }
    if (!outcome.response.ok || outcome.error !== undefined) throw problemOf(outcome.response.status, outcome.error);
    return { data: outcome.data as T, response: outcome.response };
  };
  const path = (id: string) => ({ path: { id } });

  /**
   * Sends a command or a signal: `send(id, 'APPROVE', { note })`, `send(id, 'payment', data)`, or
   * the event as a whole, e.g. a definition's typed `invoice.signal('payment', data)`. With an
   * `idempotencyKey`, a retry after a lost answer resolves with the first recording (`duplicate: true`).
   */
  function send(id: string, type: string, data?: unknown, options?: SendOptions): Promise<EventAccepted>;
  function send(id: string, event: { readonly type: string; readonly data?: unknown }, options?: SendOptions): Promise<EventAccepted>;
  async function send(
    id: string,
    event: string | { readonly type: string; readonly data?: unknown },
    third?: unknown,
    fourth?: SendOptions,
  ): Promise<EventAccepted> {
    const { type, data: payload } = typeof event === 'string' ? { type: event, data: third } : event;
    const options = typeof event === 'string' ? fourth : (third as SendOptions | undefined);
    const body = { type, ...(payload === undefined ? {} : { data: payload }) };
    const header = options?.idempotencyKey === undefined ? {} : { header: { 'Idempotency-Key': options.idempotencyKey } };
    return (await answer(api.POST('/v1/workflows/{id}/events', { params: { ...path(id), ...header }, body }))).data;
  }

  /**
   * A workflow's status: `get(id)`, or `get(definition, id)` with `output` typed as the definition
   * declares it (a `TypeError` when the workflow runs another definition or version).
   */
  // The untyped form last: `ReturnType<ApiClient['get']>` reads the last overload.
  function get<D extends AnyWorkflowDefinition>(definition: D, id: string): Promise<TypedStatus<D>>;
  function get(id: string): Promise<WorkflowStatus>;
  async function get(first: string | AnyWorkflowDefinition, second?: string): Promise<WorkflowStatus> {
    const id = typeof first === 'string' ? first : (second as string);
    const status = (await answer(api.GET('/v1/workflows/{id}', { params: path(id) }))).data;
    if (typeof first !== 'string' && (status.definition !== first.name || status.version !== first.version))
      throw new TypeError(`Workflow ${id} runs ${status.definition} v${status.version}, not ${first.name} v${first.version}`);
    return status;
  }

  const client = {
    baseUrl: base,
    /** Starts a workflow (idempotent per id and input): its status once the read model has it. */
    start: async (body: StartWorkflow) => (await answer(api.POST('/v1/workflows', { body }))).data,
    /**
     * Starts a workflow and waits up to `waitSeconds` (default 60, at most 300) for it to finish,
     * in one request (`POST /v1/workflows?wait=`).
     */
    async run(body: StartWorkflow, { waitSeconds = 60 }: { waitSeconds?: number } = {}): Promise<RunResult> {
      const { data, response } = await answer(api.POST('/v1/workflows', { body, params: { query: { wait: String(waitSeconds) } } }));
      return { status: data, finished: response.status !== 202 };
    },
    send,
    get,
    /**
     * A workflow's status once it finishes or waits for a person or a signal, or after `waitSeconds`
     * (default 60, at most 300) while it still runs: a long poll (`GET /v1/workflows/:id?wait=`).
     * Check `status` to tell which.
     */
    settled: async (id: string, { waitSeconds = 60 }: { waitSeconds?: number | undefined } = {}) =>
      (await answer(api.GET('/v1/workflows/{id}', { params: { path: { id }, query: { wait: String(waitSeconds) } } }))).data,
    /** A page of workflows; `status` is checked by the server (a 400 names the allowed values). */
    list: async ({
      status,
      definition,
      parent,
      limit,
      cursor,
    }: { status?: string; definition?: string; parent?: string; limit?: number; cursor?: string } = {}) => {
      const query: ListQuery = {
        ...(status === undefined ? {} : { status: status as ListQuery['status'] }),
        ...(definition === undefined ? {} : { definition }),
        ...(parent === undefined ? {} : { parent }),
        ...(limit === undefined ? {} : { limit: String(limit) }),
        ...(cursor === undefined ? {} : { cursor }),
      };
      return (await answer(api.GET('/v1/workflows', { params: { query } }))).data;
    },
    audit: async (id: string) => (await answer(api.GET('/v1/workflows/{id}/audit', { params: path(id) }))).data,
    metricsSummary: async () => (await answer(api.GET('/v1/metrics/summary'))).data,
    definitions: async () => (await answer(api.GET('/v1/definitions'))).data,
    /** Every registered version of a definition, with its steps. */
    versions: async (name: string) => (await answer(api.GET('/v1/definitions/{name}/versions', { params: { path: { name } } }))).data,

    /** Follows one workflow's SSE stream until it ends, the handler returns 'stop', or `signal` aborts; reconnects with Last-Event-ID. */
    async follow(id: string, handlers: FollowHandlers = {}): Promise<FollowResult> {
      let lastRevision = handlers.after;
      for (let attempt = 0; ; attempt++) {
        let response: Response;
        try {
          response = await fetchImpl(`${base}/v1/workflows/${encodeURIComponent(id)}/stream`, {
            headers: { ...headers, accept: 'text/event-stream', ...(lastRevision === undefined ? {} : { 'last-event-id': String(lastRevision) }) },
            ...(handlers.signal === undefined ? {} : { signal: handlers.signal }),
          });
        } catch (cause) {
          if (handlers.signal?.aborted) return { lastRevision };
          if (attempt >= (options.maxReconnects ?? 5))
            throw new ApiClientError('UNREACHABLE', 0, `Lost the stream of ${id}: ${(cause as Error).message}`, {}, { cause });
          await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
          continue;
        }
        // 204: it finished, and its end was sent on an earlier connection.
        if (response.status === 204) return { ended: TERMINAL_EVENT[(await client.get(id)).status], lastRevision };
        if (!response.ok || response.body === null) throw problemOf(response.status, await response.json().catch(() => undefined));
        try {
          for await (const message of readSse(response.body)) {
            if (message.event === 'transition') {
              const transition = JSON.parse(message.data) as StreamedTransition;
              lastRevision = transition.revision;
              if (handlers.onTransition?.(transition) === 'stop') {
                await response.body.cancel().catch(() => undefined);
                return { lastRevision };
              }
            } else if (message.event === 'delta') {
              handlers.onDelta?.(JSON.parse(message.data) as StreamedDelta);
            } else if (message.event === 'end') {
              return { ended: (JSON.parse(message.data) as Schemas['StreamEnd']).type, lastRevision };
            }
          }
        } catch (error) {
          if (handlers.signal?.aborted) return { lastRevision };
          if (attempt >= (options.maxReconnects ?? 5)) throw error;
        }
        // The server closed without an `end` (restart, shutdown): resume where we were.
        if (handlers.signal?.aborted) return { lastRevision };
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** Math.min(attempt, 4)));
      }
    },
  };
  return client;
}

const TERMINAL_EVENT: Partial<Record<WorkflowStatus['status'], string>> = {
  completed: 'WorkflowCompleted',
  failed: 'WorkflowFailed',
  cancelled: 'WorkflowCancelled',
};

export type ApiClient = ReturnType<typeof createApiClient>;

function problemOf(status: number, body: unknown): ApiClientError {
  const problem = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = typeof problem.code === 'string' ? problem.code : `HTTP_${status}`;
  const message = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : `HTTP ${status}`;
  return new ApiClientError(code, status, message, problem);
}
