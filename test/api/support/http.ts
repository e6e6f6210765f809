import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The whole body, or for an event stream only what arrived before we hung up. */
  body: string;
}

/**
 * One HTTP request with full control over method, headers and bytes (fetch would refuse some).
 * Event streams are read for `streamMs` and then cut, so SSE routes can be fuzzed too.
 */
export function rawRequest(
  base: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer; streamMs?: number },
): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: options.method, path: options.path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        const finish = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', finish);
        res.on('error', () => finish());
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          setTimeout(() => {
            res.removeAllListeners('end');
            res.destroy();
            finish();
          }, options.streamMs ?? 20);
        }
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${options.method} ${options.path} within 10 s`)));
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface SseMessage {
  event: string;
  id?: string;
  data: unknown;
}

export interface SseClient {
  messages: SseMessage[];
  status: Promise<number>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A minimal EventSource for tests: parses `event`, `id` and `data` lines. */
export function openSse(base: string, path: string, headers: Record<string, string> = {}): SseClient {
  const url = new URL(base);
  const messages: SseMessage[] = [];
  let settleStatus!: (status: number) => void;
  let settleEnded!: () => void;
  const status = new Promise<number>((resolve) => (settleStatus = resolve));
  const ended = new Promise<void>((resolve) => (settleEnded = resolve));
  const req = httpRequest({ host: url.hostname, port: url.port, path, headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
    settleStatus(res.statusCode ?? 0);
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let split: number;
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const message: { event: string; id?: string; data: string[] } = { event: 'message', data: [] };
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) message.event = line.slice(7);
          else if (line.startsWith('id: ')) message.id = line.slice(4);
          else if (line.startsWith('data: ')) message.data.push(line.slice(6));
        }
        if (message.data.length > 0)
          messages.push({ event: message.event, ...(message.id === undefined ? {} : { id: message.id }), data: JSON.parse(message.data.join('\n')) });
      }
    });
    res.on('end', settleEnded);
    res.on('close', settleEnded);
  });
  req.on('error', () => {
    settleStatus(0);
    settleEnded();
  });
  req.end();
  return { messages, status, ended, close: () => req.destroy() };
}
