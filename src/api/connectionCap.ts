import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'winston';

/**
 * At most `max` open connections per client address (0 = no cap): one client cannot hold every
 * socket of the server. A connection over the cap is closed at once, before a byte is read.
 * Behind a proxy every client shares the proxy's address, so raise the cap or turn it off there.
 */
export function capConnectionsPerClient(server: Server, max: number, logger: Logger): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  const warned = new Set<string>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '(unknown)';
    const count = open.get(address) ?? 0;
    if (count >= max) {
      if (!warned.has(address)) {
        warned.add(address);
        logger.warn('connection refused: too many open connections from one address', { address, max });
      }
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
      if (left < max) warned.delete(address);
    });
  });
}
