import type { AddressInfo } from 'node:net';
import type { ApiApp } from './createApp.js';
import { assertSafeBind } from './bindGuard.js';

/** Listens on host:port (refusing an open API on a non-loopback host) and returns the base URL. */
export async function listenApi({ app, context }: ApiApp, options: { host?: string; port?: number } = {}): Promise<string> {
  const host = options.host ?? context.config.host;
  const port = options.port ?? context.config.port;
  assertSafeBind(host, context.authenticator.required);
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}
