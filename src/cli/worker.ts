import { Command } from 'commander';
import { notRecoveredWarning } from '../actors/index.js';
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
      // Listening first: a port in use is refused before the worker takes a lease or runs a step.
      const probe = options.port === undefined ? undefined : (await import('../api/index.js')).createWorkerProbe();
      const probeUrl =
        probe === undefined || options.port === undefined
          ? undefined
          : await probe.listen({ host: options.host ?? '127.0.0.1', port: options.port }).catch(async (error: unknown) => {
              await probe.close();
              throw new UsageError(`ecl worker: cannot serve --port ${options.port}: ${(error as Error).message}`);
            });
      const { openEngineHost } = await import('./openEngineHost.js');
      const host = await openEngineHost({
        ...options,
        role: 'worker',
        daemon: true,
        ...(probe === undefined ? {} : { wrapStore: (store) => probe.wrapStore(store) }),
      }).catch(async (error: unknown) => {
        await probe?.close();
        throw error;
      });
      const node = host.node;
      if (node === undefined) {
        await host.close();
        await probe?.close();
        throw new UsageError(
          `ecl worker needs a store that keeps leases (sqlite:, postgres://, memory:); ${host.store.description} does not: run one ecl serve on it`,
        );
      }
      probe?.attach(node, host.store.description);
      const summary = node.summary();
      const notRecovered = notRecoveredWarning(host.recovered?.blocked);
      console.log(
        [
          ...host.banner,
          `Worker ${summary.id}: ${summary.held.length} of ${summary.partitions} partitions`,
          `Recovered: ${host.recovered?.resumed.length ?? 0} resumed, ${host.recovered?.waiting ?? 0} waiting for a person or a signal`,
          ...(notRecovered === undefined ? [] : [notRecovered]),
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
            .catch((error: unknown) => {
              console.error(`ecl worker: shutdown failed: ${(error as Error).message}`);
              process.exitCode = 1;
            })
            // The probe's socket would keep the process alive: it closes whatever the rest did.
            .finally(() => probe?.close())
            .then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      console.log('Stopped.');
    });
}
