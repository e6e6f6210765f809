/**
 * A TCP pass-through in front of the gRPC test server. Cutting every socket it carries is a
 * real connection loss for both client stacks (grpc-js for appends and subscriptions, the Rust
 * bridge for reads); closing its listener makes the server unreachable on the same port.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface ConnectionGate {
  readonly port: number;
  /** Resets every open connection; new connections are accepted as before. */
  cutAll(): void;
  /** Stops accepting connections and cuts the open ones (the port refuses connections). */
  close(): Promise<void>;
  /** Listens again on the same port. */
  reopen(): Promise<void>;
  /** Connections accepted so far. */
  readonly accepted: number;
}

export async function openConnectionGate(targetPort: number, port = 0): Promise<ConnectionGate> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let server: Server;

  const listen = (onPort: number) =>
    new Promise<Server>((resolve, reject) => {
      const next = createServer({ noDelay: true }, (downstream) => {
        accepted++;
        const upstream = connect({ port: targetPort, host: '127.0.0.1', noDelay: true });
        for (const socket of [downstream, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        downstream.pipe(upstream);
        upstream.pipe(downstream);
        downstream.on('close', () => upstream.destroy());
        upstream.on('close', () => downstream.destroy());
      });
      next.once('error', reject);
      next.listen(onPort, '127.0.0.1', () => resolve(next));
    });

  const cutAll = () => {
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
  };

  server = await listen(port);
  const boundPort = (server.address() as AddressInfo).port;

  return {
    port: boundPort,
    get accepted() {
      return accepted;
    },
    cutAll,
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
    reopen: async () => {
      server = await listen(boundPort);
    },
  };
}
