/**
 * A lean HTTP/1.1 load generator (autocannon-style): C keep-alive sockets, each with one request
 * in flight, requests pre-serialized, responses framed by Content-Length only. Spends far less
 * CPU per request than node:http's client, which matters when client and server share 2 cores.
 */
import { connect, type Socket } from 'node:net';

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  latenciesMs: number[];
  statuses: Map<number, number>;
}

export async function runLoad(options: { url: string; connections: number; count: number; request: (index: number) => Buffer }): Promise<LoadResult> {
  const url = new URL(options.url);
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: Math.min(options.connections, options.count) },
      () =>
        new Promise<void>((resolve, reject) => {
          const socket: Socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
          let buffer: Buffer = Buffer.alloc(0);
          let sentAt = 0;
          const sendNext = () => {
            if (issued >= options.count) {
              socket.end();
              resolve();
              return;
            }
            const request = options.request(issued++);
            sentAt = performance.now();
            socket.write(request);
          };
          socket.on('connect', sendNext);
          socket.on('error', reject);
          socket.on('data', (chunk: Buffer) => {
            buffer = buffer.length === 0 ? chunk : (Buffer.concat([buffer, chunk]) as Buffer);
            for (;;) {
              const headerEnd = buffer.indexOf('\r\n\r\n');
              if (headerEnd < 0) return;
              const head = buffer.subarray(0, headerEnd).toString('latin1');
              const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
              if (buffer.length < headerEnd + 4 + length) return;
              const status = Number(head.slice(9, 12));
              statuses.set(status, (statuses.get(status) ?? 0) + 1);
              latencies.push(performance.now() - sentAt);
              buffer = buffer.subarray(headerEnd + 4 + length);
              sendNext();
            }
          });
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  return { requests: options.count, seconds, perSecond: Math.round(options.count / seconds), latenciesMs: latencies, statuses };
}

/** A POST with a JSON body, serialized once. */
export const jsonPost = (host: string, path: string, body: string, authorization: string): Buffer =>
  Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
