// The console's only way to the server: the /v1 API on the page's own origin. The API key stays in
// sessionStorage (gone with the tab) and travels in the Authorization header, never in a URL;
// EventSource, which cannot send headers, gets a short-lived stream token as ?token=.

const KEY_ITEM = 'ecl.console.apiKey';

export const storedKey = (): string | null => sessionStorage.getItem(KEY_ITEM);
export const storeKey = (key: string): void => sessionStorage.setItem(KEY_ITEM, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY_ITEM);

export interface FieldError {
  path: string;
  message: string;
}

/** A problem+json answer (or a network failure, status 0). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly errors: FieldError[] = [],
    readonly accepts?: string[],
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }
}

let onUnauthorized: () => void = () => {};
/** Called on every 401: the key is wrong or was revoked; the app asks for one again. */
export const whenUnauthorized = (listener: () => void): void => {
  onUnauthorized = listener;
};

export async function api<T>(path: string, options: { method?: string; body?: unknown; key?: string | null } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = options.key === undefined ? storedKey() : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      cache: 'no-store',
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch (error) {
    throw new ApiProblem(0, 'NETWORK', `The server cannot be reached (${(error as Error).message})`);
  }
  const raw = await response.text();
  const body = raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>);
  if (response.ok) return body as T;
  if (response.status === 401 && options.key === undefined) onUnauthorized();
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  throw new ApiProblem(
    response.status,
    text(body?.code) ?? String(response.status),
    text(body?.detail) ?? text(body?.title) ?? response.statusText,
    (body?.errors as FieldError[] | undefined) ?? [],
    body?.accepts as string[] | undefined,
  );
}

export interface StreamHandlers {
  transition?: (data: Transition, id: string) => void;
  delta?: (data: Delta) => void;
  end?: (data: unknown) => void;
  /** The stream is (re)connected. */
  open?: () => void;
}

export interface Transition {
  workflowId: string;
  revision: number;
  type: string;
  step: string | null;
  at: string;
  data: unknown;
}

export interface Delta {
  workflowId: string;
  step: string;
  iteration: number;
  text: string;
}

/**
 * Follows an SSE route. Each (re)connect mints a fresh stream token with the key (a token opens
 * streams for a minute; an open stream outlives it), and resumes after the last event seen.
 * Returns a function that closes it for good.
 */
export function follow(path: string, handlers: StreamHandlers): () => void {
  let source: EventSource | undefined;
  let closed = false;
  let lastId: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connect = async () => {
    if (closed) return;
    const params = new URLSearchParams();
    try {
      if (storedKey() !== null) params.set('token', (await api<{ token: string }>('/v1/stream-tokens', { method: 'POST' })).token);
    } catch {
      timer = setTimeout(() => void connect(), 3000);
      return;
    }
    if (closed) return;
    if (lastId !== undefined) params.set('lastEventId', lastId);
    const query = params.toString();
    const opened = new EventSource(query === '' ? path : `${path}?${query}`);
    source = opened;
    opened.addEventListener('open', () => handlers.open?.());
    opened.addEventListener('transition', (event) => {
      const message = event as MessageEvent<string>;
      lastId = message.lastEventId;
      handlers.transition?.(JSON.parse(message.data) as Transition, message.lastEventId);
    });
    opened.addEventListener('delta', (event) => handlers.delta?.(JSON.parse((event as MessageEvent<string>).data) as Delta));
    opened.addEventListener('end', (event) => {
      closed = true;
      opened.close();
      handlers.end?.(JSON.parse((event as MessageEvent<string>).data));
    });
    opened.addEventListener('error', () => {
      // EventSource retries by itself with the same URL; once its token has expired that is a 401
      // and it gives up (CLOSED): mint a new token and go on from the last event seen.
      if (opened.readyState === EventSource.CLOSED && !closed) timer = setTimeout(() => void connect(), 2000);
    });
  };
  void connect();
  return () => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    source?.close();
  };
}

export const encode = encodeURIComponent;
