import { type AddressInfo, type Server, createServer } from 'node:net';
import type { ApiApp } from './createApp.js';
import { assertSafeBind } from './bindGuard.js';

/** Listens on host:port (refusing an open API on a non-loopback host) and returns the base URL. */
export async function listenApi({ app, context }: ApiApp, options: { host?: string; port?: number } = {}): Promise<string> {
  const host = options.host ?? context.config.host;
  const port = options.port ?? context.config.port;
  assertSafeBind(host, context.authenticator.required);
  await app.listen({ host, port });
  return baseUrlOf(app.server);
}

/**
 * Rejects with the listen error (`EADDRINUSE`, `EACCES`) when host:port cannot be bound now, so a
 * server refuses before it joins the other workers or recovers anything. Port 0 always binds.
 */
export async function assertCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** `http://<address>:<port>` of a listening server. */
export function baseUrlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}
