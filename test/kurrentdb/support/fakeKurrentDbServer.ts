/**
 * The gRPC test server: an in-process stand-in for KurrentDB that speaks its v1 gRPC protocol,
 * built on the client package's own generated service definitions. It is NOT KurrentDB: it keeps
 * events in memory and exists so the adapter and the store contract run in CI without Docker.
 * Its semantics are taken from KurrentDB's server source (see fakeLog.ts, readCall.ts,
 * appendCalls.ts) and checked by the same contract suite the other stores pass.
 *
 * Faults for tests: `dropConnections()` cuts every client connection (a connection loss),
 * `stop()`/`start()` make the port refuse connections and accept them again (a restart that
 * keeps the data), `failNextAppends(n)` answers the next appends with KurrentDB's Timeout, and
 * `stallNextAppends(n)` leaves them unanswered (committed or not) until the connection drops.
 */
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { createAppendHandler, createBatchAppendHandler, unimplemented, type AppendFault } from './appendCalls.js';
import { openConnectionGate, type ConnectionGate } from './connectionGate.js';
import { FakeLog } from './fakeLog.js';
import { createReadHandler } from './readCall.js';
import { ServerFeaturesService, StreamsService, SupportedMethod, SupportedMethods } from './protocol.js';

export interface FakeKurrentDbServerOptions {
  /** Which append RPC the server lists in ServerFeatures: `batch` (what real servers offer) or only `unary` Append. */
  appendMethod?: 'batch' | 'unary';
  /** KurrentDB's write timeout: how long a stalled, uncommitted batch append waits before a Timeout answer (default 2000 ms). */
  writeTimeoutMs?: number;
  /** Port to listen on, 127.0.0.1 only (default: an ephemeral port). */
  port?: number;
}

export interface FakeKurrentDbServer {
  /**
   * `kurrentdb://127.0.0.1:<port>?tls=false&discoveryInterval=20`. The client's read path (its
   * Rust bridge) waits `discoveryInterval` (default 500 ms) before every connection attempt,
   * also the first; tests shorten it.
   */
  readonly url: string;
  readonly port: number;
  readonly log: FakeLog;
  /** Cuts every open client connection; the server keeps running and its data. */
  dropConnections(): void;
  /** The port refuses connections (open ones are cut) until `start()`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The next `count` appends are answered with KurrentDB's Timeout status and write nothing. */
  failNextAppends(count: number): void;
  /** The next `count` appends get no answer; with `commit`, they are written first (the answer is what gets lost). */
  stallNextAppends(count: number, options?: { commit?: boolean }): void;
  /** Appends that reached the server (including failed and stalled ones). */
  readonly appendsReceived: number;
  /** Calls received per gRPC method name (`Read`, `BatchAppend`, `Append`, `GetSupportedMethods`). */
  readonly calls: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export async function startFakeKurrentDbServer(options: FakeKurrentDbServerOptions = {}): Promise<FakeKurrentDbServer> {
  const appendMethod = options.appendMethod ?? 'batch';
  const log = new FakeLog();
  const faults: AppendFault[] = [];
  let appendsReceived = 0;
  const hooks = {
    writeTimeoutMs: options.writeTimeoutMs ?? 2000,
    nextFault: (): AppendFault => {
      appendsReceived++;
      return faults.shift() ?? 'none';
    },
  };

  const calls = new Map<string, number>();
  const counted = <H extends (...args: never[]) => void>(method: string, handler: H): H =>
    ((...args: Parameters<H>) => {
      calls.set(method, (calls.get(method) ?? 0) + 1);
      handler(...args);
    }) as H;

  const server = new Server();
  server.addService(ServerFeaturesService, {
    getSupportedMethods: counted('GetSupportedMethods', (_call: unknown, callback: (error: null, response: InstanceType<typeof SupportedMethods>) => void) =>
      callback(null, supportedMethods(appendMethod)),
    ),
  } as UntypedServiceImplementation);
  server.addService(StreamsService, {
    read: counted('Read', createReadHandler(log)),
    append: counted('Append', createAppendHandler(log, hooks)),
    batchAppend: counted('BatchAppend', appendMethod === 'batch' ? createBatchAppendHandler(log, hooks) : unimplemented),
    delete: unimplemented,
    tombstone: unimplemented,
  } as UntypedServiceImplementation);
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
  const gate: ConnectionGate = await openConnectionGate(grpcPort, options.port ?? 0);
  let stopped = false;

  return {
    url: `kurrentdb://127.0.0.1:${gate.port}?tls=false&discoveryInterval=20`,
    port: gate.port,
    log,
    dropConnections: () => gate.cutAll(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await gate.close();
    },
    start: async () => {
      if (!stopped) return;
      stopped = false;
      await gate.reopen();
    },
    failNextAppends: (count) => faults.push(...Array<AppendFault>(count).fill('timeout')),
    stallNextAppends: (count, stallOptions) => faults.push(...Array<AppendFault>(count).fill(stallOptions?.commit ? 'commit_then_stall' : 'stall')),
    get appendsReceived() {
      return appendsReceived;
    },
    calls,
    close: async () => {
      if (!stopped) await gate.close();
      stopped = true;
      server.forceShutdown();
    },
  };
}

/** What KurrentDB lists: lower-cased service and method names, with the features it advertises. */
function supportedMethods(appendMethod: 'batch' | 'unary'): InstanceType<typeof SupportedMethods> {
  const streams = 'event_store.client.streams.streams';
  const methods: Array<[string, string, string[]]> = [
    [streams, 'read', ['position', 'events']],
    [streams, 'append', []],
    [streams, 'delete', []],
    [streams, 'tombstone', []],
    ['event_store.client.server_features.serverfeatures', 'getsupportedmethods', []],
  ];
  if (appendMethod === 'batch') methods.push([streams, 'batchappend', ['deadline_duration']]);
  return new SupportedMethods()
    .setEventStoreServerVersion('26.0.0')
    .setMethodsList(
      methods.map(([service, method, features]) => new SupportedMethod().setServiceName(service).setMethodName(method).setFeaturesList(features)),
    );
}
