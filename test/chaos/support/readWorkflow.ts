import { openSse } from '../../api/support/http.js';

/** One recorded event as the SSE stream delivers it (the public view of the log). */
export interface LoggedEvent {
  revision: number;
  type: string;
  data: Record<string, unknown>;
  sender: string | null;
}

export interface ApiClient {
  url: string;
  key: string | undefined;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export function apiClient(url: string, key: string | undefined): ApiClient {
  return {
    url,
    key,
    async call(method, path, body) {
      const headers: Record<string, string> = {};
      if (key !== undefined) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(url + path, {
        method,
        headers,
        signal: AbortSignal.timeout(30_000),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    },
  };
}

/**
 * A finished workflow's whole log, through `GET /v1/workflows/:id/stream` from the start: the
 * server replays the stored stream and ends it after the terminal event.
 */
export async function readFinishedLog(api: ApiClient, id: string): Promise<LoggedEvent[]> {
  const sse = openSse(api.url, `/v1/workflows/${encodeURIComponent(id)}/stream`, api.key === undefined ? {} : { authorization: `Bearer ${api.key}` });
  const guard = setTimeout(() => sse.close(), 30_000);
  try {
    if ((await sse.status) !== 200) throw new Error(`GET /v1/workflows/${id}/stream answered ${await sse.status}`);
    await sse.ended;
  } finally {
    clearTimeout(guard);
  }
  return sse.messages.filter((message) => message.event === 'transition').map((message) => message.data as LoggedEvent);
}

/** Every workflow of the caller, through the status read model (all pages). */
export async function listAll(api: ApiClient): Promise<Array<{ workflowId: string; status: string; revision: number }>> {
  const items: Array<{ workflowId: string; status: string; revision: number }> = [];
  let cursor: string | null = null;
  do {
    const page = await api.call('GET', `/v1/workflows?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`);
    if (page.status !== 200) throw new Error(`GET /v1/workflows answered ${page.status}`);
    items.push(...(page.body.items as typeof items));
    cursor = page.body.nextCursor as string | null;
  } while (cursor !== null);
  return items;
}

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
