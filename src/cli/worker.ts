import { Command } from 'commander';
import { addEngineOptions, type WorkflowsOptions } from './commonOptions.js';
import { parsePort } from './parsePort.js';
import { UsageError } from './usageError.js';

interface WorkerOptions extends WorkflowsOptions {
  store?: string;
  llm?: string;
  artifacts?: string;
  port?: number;
  host?: string;
}

/** `ecl worker`: `ecl serve` without the API and the read models — drives its share of the store's workflows until stopped. */
export function workerCommand(): Command {
  return addEngineOptions(
    new Command('worker').description(
      "Drive a share of the store's workflows beside other workers (no HTTP API); a dead worker's share moves to the others (docs/scaling.md)",
    ),
  )
    .option('--port <port>', 'serve GET /healthz and GET /metrics on this port (default: none; 0 = any free port)', parsePort)
    .option('--host <host>', 'interface for --port (default 127.0.0.1; they show no ids or data)')
    .action(async (options: WorkerOptions) => {
      if (options.host !== undefined && options.port === undefined) throw new UsageError('--host is the interface for --port: give --port too');
      const [{ openEngineHost }, probe] = await Promise.all([
        import('./openEngineHost.js'),
        options.port === undefined ? undefined : import('../api/index.js').then(({ createWorkerProbe }) => createWorkerProbe()),
      ]);
      const host = await openEngineHost({
        ...options,
        role: 'worker',
        logLevel: undefined,
        ...(probe === undefined ? {} : { wrapStore: (store) => probe.wrapStore(store) }),
      });
      const node = host.node;
      if (node === undefined) {
        await host.close();
        throw new UsageError(
          `ecl worker needs a store that keeps leases (sqlite:, postgres://, memory:); ${host.store.description} does not: run one ecl serve on it`,
        );
      }
      let probeUrl: string | undefined;
      if (probe !== undefined && options.port !== undefined)
        probeUrl = await probe
          .listen(node, { host: options.host ?? '127.0.0.1', port: options.port, store: host.store.description })
          .catch(async (error: unknown) => {
            await host.close();
            throw new UsageError(`ecl worker: cannot serve --port ${options.port}: ${(error as Error).message}`);
          });
      const summary = node.summary();
      console.log(
        [
          ...host.banner,
          `Worker ${summary.id}: ${summary.held.length} of ${summary.partitions} partitions`,
          `Recovered: ${host.recovered?.resumed.length ?? 0} resumed, ${host.recovered?.waiting ?? 0} waiting for a person or a signal`,
          ...(probeUrl === undefined ? [] : [`Probe: ${probeUrl}/healthz, ${probeUrl}/metrics`]),
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          probe?.stopping();
          console.log(`${signal}: stopping (model calls in flight are left to the other workers; leases are handed back)`);
          void host
            .close()
            .then(() => probe?.close())
            .then(resolve, (error: unknown) => {
              console.error(`ecl worker: shutdown failed: ${(error as Error).message}`);
              process.exitCode = 1;
              resolve();
            });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      console.log('Stopped.');
    });
}
