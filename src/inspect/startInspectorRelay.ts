import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { WebSocket, WebSocketServer } from 'ws';
import winston, { type Logger } from 'winston';
import { isLoopbackHost } from '../net/index.js';
import { bridgePage } from './bridgePage.js';

export const DEFAULT_INSPECT_PORT = 8080;
export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

/**
 * Said on stderr whenever a relay starts: the page it serves embeds the hosted inspector, so a
 * machine without internet access shows a blank page, however well the relay works.
 */
export const inspectorNotice = (url: string, inspectorUrl = STATELY_INSPECTOR_URL): string =>
  `Stately inspector: open ${url} — the inspector it embeds is hosted at ${inspectorUrl} and needs internet access ` +
  "(ECL's own console, at /console/ of the API, works offline).";

export interface InspectorRelayOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Loopback only (default 127.0.0.1): inspection events carry workflow data. */
  host?: string;
  inspectorUrl?: string;
  /**
   * Recent events replayed to a page that connects late (actor registrations are always replayed).
   * Default 1000; `Infinity` keeps them all, for a finite history such as a replay.
   */
  bufferSize?: number;
  logger?: Logger;
}

/**
 * What ECL uses of a `@statelyai/inspect` inspector. Declared here rather than taken from that
 * package, whose own types need the DOM library: a project that type-checks ECL's declarations
 * without `lib: ["dom"]` must not fail on them.
 */
export interface InspectorHandle {
  actor(actorRef: unknown, snapshot?: unknown, info?: unknown): void;
  event(target: string, event: unknown, info?: unknown): void;
  snapshot(actorRef: string, snapshot: unknown, info?: unknown): void;
  stop(): void;
}

export interface InspectorRelay {
  /** The page to open in a browser. */
  readonly url: string;
  readonly port: number;
  /** A `@statelyai/inspect` inspector whose events go to every connected page. */
  readonly inspector: InspectorHandle;
  /** Connected WebSocket clients. */
  clients(): number;
  /** Events dropped from the replay buffer (the oldest first) since the relay started. */
  dropped(): number;
  close(): Promise<void>;
}

export class InspectorRelayError extends Error {
  readonly code = 'INSPECTOR_RELAY' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InspectorRelayError';
  }
}

/**
 * A local relay for the Stately inspector: serves the bridge page and a WebSocket on
 * 127.0.0.1 and broadcasts inspection events to every page. Unlike `@statelyai/inspect/server`
 * it never binds a public interface, never opens a browser, and refuses cross-site pages.
 * Other local processes may also publish through it with `createWebSocketInspector({ url: ws://…/ws })`.
 */
export async function startInspectorRelay(options: InspectorRelayOptions = {}): Promise<InspectorRelay> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) throw new InspectorRelayError(`The inspector relay binds loopback only; ${host} is not a loopback address`);
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const bufferSize = options.bufferSize ?? 1000;
  // The page holds what a connect replays (actors and recent events, each up to bufferSize) plus
  // what arrives before the hosted inspector answers; a finite replay (Infinity) keeps it all.
  const page = bridgePage(options.inspectorUrl ?? STATELY_INSPECTOR_URL, 2 * bufferSize);
  const actors = new Map<string, string>();
  const recent: string[] = [];
  let dropped = 0;
  // Said once: a relay nobody opens would otherwise warn on every event.
  const drop = () => {
    dropped += 1;
    if (dropped === 1) logger.warn('Inspector relay buffer full: dropping the oldest events; a page that connects now sees only the latest', { bufferSize });
  };

  const http = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url !== '/' && request.url !== '/index.html')) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(page);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  http.on('upgrade', (request, socket, head) => {
    if (request.url !== '/ws' && request.url !== '/') return void socket.destroy();
    if (!sameOrigin(request)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (client) => wss.emit('connection', client, request));
  });

  const broadcast = (message: string, except?: WebSocket) => {
    for (const client of wss.clients) if (client !== except && client.readyState === WebSocket.OPEN) client.send(message);
  };
  const remember = (event: StatelyInspectionEvent, message: string) => {
    if (event.type === '@xstate.actor') {
      actors.delete(event.sessionId);
      actors.set(event.sessionId, message);
      if (actors.size > bufferSize) {
        actors.delete(actors.keys().next().value as string);
        drop();
      }
      return;
    }
    recent.push(message);
    if (recent.length > bufferSize) {
      recent.shift();
      drop();
    }
  };
  wss.on('connection', (client) => {
    for (const message of actors.values()) client.send(message);
    for (const message of recent) client.send(message);
    client.on('message', (data) => {
      const message = (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString();
      try {
        remember(JSON.parse(message) as StatelyInspectionEvent, message);
      } catch {
        return;
      }
      broadcast(message, client);
    });
    client.on('error', () => client.terminate());
  });

  const inspector = createInspector({
    send(event) {
      const message = JSON.stringify(event);
      remember(event, message);
      broadcast(message);
    },
  });

  const wantedPort = options.port ?? DEFAULT_INSPECT_PORT;
  await new Promise<void>((resolve, reject) => {
    http.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'EADDRINUSE' ? "; choose another port (inspectPort, ECL_INSPECT_PORT or the command's flag; 0 picks a free one)" : '';
      reject(new InspectorRelayError(`Cannot start the inspector relay on ${host}:${wantedPort}: ${error.message}${hint}`, { cause: error }));
    });
    http.listen(wantedPort, host, resolve);
  });
  const { port } = http.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  logger.info('Stately inspector relay listening', { url });

  return {
    url,
    port,
    inspector,
    clients: () => wss.clients.size,
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        inspector.stop();
        for (const client of wss.clients) client.terminate();
        wss.close(() => http.close(() => resolve()));
        http.closeAllConnections();
      }),
  };
}

/**
 * Browsers send Origin: only the relay's own page may connect (tools without Origin may too).
 * The Host must name a loopback address as well, which defeats DNS rebinding.
 */
function sameOrigin(request: IncomingMessage): boolean {
  const hostHeader = request.headers.host ?? '';
  try {
    if (!isLoopbackHost(new URL(`http://${hostHeader}`).hostname)) return false;
  } catch {
    return false;
  }
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === hostHeader;
  } catch {
    return false;
  }
}
