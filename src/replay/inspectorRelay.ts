import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InspectionEvent } from './inspectReplay.js';

export interface InspectorRelayOptions {
  /** Loopback only by default: the relay serves workflow data without authentication. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The Stately inspector UI the page embeds. */
  inspectorUrl?: string;
}

export interface InspectorRelay {
  /** Open this in a browser. */
  url: string;
  /** Sends an event to every open page, and to pages that open later (the history is kept). */
  send(event: InspectionEvent): void;
  close(): Promise<void>;
}

/** The page embeds the inspector and forwards every event from the relay's SSE stream into it. */
const page = (inspectorUrl: string): string => `<!DOCTYPE html>
<html><head><title>ECL replay · Stately inspector</title>
<style>*{margin:0;padding:0}html,body{height:100%}iframe{width:100%;height:100%;border:none}</style></head>
<body><iframe id="inspector" src="${inspectorUrl}"></iframe>
<script>
  const iframe = document.getElementById('inspector');
  const buffer = [];
  let connected = false;
  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === '@statelyai.connected') {
      connected = true;
      for (const event of buffer.splice(0)) iframe.contentWindow.postMessage(event, '*');
    }
  });
  new EventSource('/events').onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (connected) iframe.contentWindow.postMessage(event, '*');
    else buffer.push(event);
  };
</script></body></html>`;

/**
 * A small HTTP relay between ECL and the Stately inspector UI: `/` serves a page embedding the
 * inspector, `/events` streams inspection events (Server-Sent Events). Unlike
 * `@statelyai/inspect/server` it binds to 127.0.0.1 and keeps the whole history, so a replay sent
 * before the browser connects is still shown in full.
 */
export async function startInspectorRelay(options: InspectorRelayOptions = {}): Promise<InspectorRelay> {
  const history: string[] = [];
  const clients = new Set<ServerResponse>();
  const html = page(options.inspectorUrl ?? 'https://stately.ai/inspect');
  const server = createServer((request, response) => {
    if (request.url === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      for (const line of history) response.write(line);
      clients.add(response);
      request.on('close', () => clients.delete(response));
      return;
    }
    if (request.url === '/' || request.url === '/index.html') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(html);
      return;
    }
    response.writeHead(404).end();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    send(event) {
      const line = `data: ${JSON.stringify(event)}\n\n`;
      history.push(line);
      for (const client of clients) client.write(line);
    },
    async close() {
      for (const client of clients) client.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
