import { WebSocket } from 'ws';

/** An inspection event as a page receives it from the relay. */
export interface Inspected {
  type: string;
  sessionId: string;
  definition?: string;
  event?: { type: string };
  snapshot?: { value?: unknown; status?: string };
}

/** Connects to a relay's WebSocket like the bridge page does, and collects what it is sent. */
export function connectInspector(relayUrl: string, headers?: Record<string, string>): Promise<{ socket: WebSocket; messages: Inspected[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${relayUrl.replace('http', 'ws')}ws`, headers === undefined ? undefined : { headers });
    const messages: Inspected[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as Inspected));
    socket.on('open', () => resolve({ socket, messages }));
    socket.on('error', reject);
    socket.on('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
}
