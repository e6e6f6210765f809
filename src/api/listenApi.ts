import type { AddressInfo, Server } from 'node:net';
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

/** `http://<address>:<port>` of a listening server. */
export function baseUrlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}
