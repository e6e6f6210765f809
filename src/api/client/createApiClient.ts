import { ApiClientError } from './errors.js';
import { readSse } from './readSse.js';

/** A recorded transition as the server streams it (see docs/api.md, SSE). */
export interface StreamedTransition {
  workflowId: string;
  revision: number;
  position: string;
  type: string;
  data: Record<string, unknown>;
  state?: unknown;
  step: string | null;
  sender: string | null;
  at: string;
}

export interface StreamedDelta {
  workflowId: string;
  step: string;
  iteration: number;
  text: string;
}

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
  apiKey?: string;
  /** Reconnects of a dropped stream before giving up (default 5). */
  maxReconnects?: number;
}

type Json = Record<string, unknown>;

/** A small typed client for the v1 API: what `ecl --server` uses. */
export function createApiClient(options: ApiClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
    ...extra,
  });

  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(base + path, {
        method,
        headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new ApiClientError('UNREACHABLE', 0, `Cannot reach the ECL server at ${base}: ${(cause as Error).message}`, {}, { cause });
    }
    const text = await response.text();
    const parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (!response.ok) throw problemOf(response.status, parsed);
    return parsed as T;
  };

  const segment = encodeURIComponent;
  return {
    baseUrl: base,
    start: (body: { definition: string; input: unknown; id?: string }) => request<Json>('POST', '/v1/workflows', body),
    send: (id: string, type: string, data?: unknown) =>
      request<{ workflowId: string; type: string; revision: number; lastRevision: number }>('POST', `/v1/workflows/${segment(id)}/events`, {
        type,
        ...(data === undefined ? {} : { data }),
      }),
    get: (id: string) => request<Json>('GET', `/v1/workflows/${segment(id)}`),
    list: (query: { status?: string; definition?: string; limit?: number; cursor?: string } = {}) => {
      const search = new URLSearchParams(
        Object.entries(query)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]): [string, string] => [key, String(value)]),
      );
      return request<{ items: Json[]; nextCursor: string | null }>('GET', `/v1/workflows${search.toString() === '' ? '' : `?${search}`}`);
    },
    audit: (id: string) => request<{ workflowId: string; entries: Json[] }>('GET', `/v1/workflows/${segment(id)}/audit`),
    metricsSummary: () => request<Json>('GET', '/v1/metrics/summary'),
    definitions: () => request<{ definitions: Json[] }>('GET', '/v1/definitions'),

    /** Follows one workflow's SSE stream until it ends, the handler returns 'stop', or `signal` aborts; reconnects with Last-Event-ID. */
    async follow(id: string, handlers: FollowHandlers = {}): Promise<FollowResult> {
      let lastRevision = handlers.after;
      for (let attempt = 0; ; attempt++) {
        let response: Response;
        try {
          response = await fetch(`${base}/v1/workflows/${segment(id)}/stream`, {
            headers: headers({ accept: 'text/event-stream', ...(lastRevision === undefined ? {} : { 'last-event-id': String(lastRevision) }) }),
            ...(handlers.signal === undefined ? {} : { signal: handlers.signal }),
          });
        } catch (cause) {
          if (handlers.signal?.aborted) return { lastRevision };
          if (attempt >= (options.maxReconnects ?? 5))
            throw new ApiClientError('UNREACHABLE', 0, `Lost the stream of ${id}: ${(cause as Error).message}`, {}, { cause });
          await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
          continue;
        }
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
              return { ended: (JSON.parse(message.data) as { type: string }).type, lastRevision };
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
}

export type ApiClient = ReturnType<typeof createApiClient>;

function problemOf(status: number, body: unknown): ApiClientError {
  const problem = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = typeof problem.code === 'string' ? problem.code : `HTTP_${status}`;
  const title = typeof problem.title === 'string' ? problem.title : `HTTP ${status}`;
  return new ApiClientError(code, status, title, problem);
}
