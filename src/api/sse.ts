import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';

/** One Server-Sent Events connection. Writes are dropped once the client is gone. */
export interface SseConnection {
  /** Writes one event; `id` becomes the client's Last-Event-ID. */
  send(event: string, data: unknown, id?: string): void;
  close(): void;
  readonly closed: boolean;
  /** Called once when the connection ends, whoever ended it. */
  onClose(listener: () => void): void;
}

export interface SseOptions {
  heartbeatMs?: number;
  /** A client that lets this much pile up unread is cut off rather than buffered without bound. */
  maxBufferedBytes?: number;
}

const encodeData = (data: unknown): string =>
  (typeof data === 'string' ? data : JSON.stringify(data))
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
const clean = (text: string): string => text.replace(/[\r\n]/g, ' ');

/** Takes over the reply's socket and speaks SSE on it (text/event-stream, heartbeats, retry hint). */
export function openSse(request: FastifyRequest, reply: FastifyReply, options: SseOptions = {}): SseConnection {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBuffered = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  const listeners: Array<() => void> = [];
  const raw = reply.raw;
  let closed = false;
  // Headers set on the reply before the hijack (CORS) would be lost with it: carry them over.
  const earlier = Object.fromEntries(Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined)) as OutgoingHttpHeaders;
  reply.hijack();
  raw.writeHead(200, {
    ...earlier,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  raw.flushHeaders();
  raw.write('retry: 2000\n\n');
  const heartbeat = setInterval(() => write(': keep-alive\n\n'), heartbeatMs);
  heartbeat.unref();

  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const listener of listeners.splice(0)) listener();
  };
  const write = (chunk: string) => {
    if (closed || raw.destroyed) return;
    if (raw.writableLength > maxBuffered) {
      raw.destroy();
      finish();
      return;
    }
    raw.write(chunk);
  };
  request.raw.on('close', finish);
  raw.on('close', finish);
  raw.on('error', finish);

  return {
    send(event, data, id) {
      write(`${id === undefined ? '' : `id: ${clean(id)}\n`}event: ${clean(event)}\n${encodeData(data)}\n`);
    },
    close() {
      if (!closed && !raw.destroyed) raw.end();
      finish();
    },
    get closed() {
      return closed;
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
  };
}
