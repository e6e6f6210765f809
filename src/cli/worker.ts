import { Command } from 'commander';
import { addEngineOptions, type WorkflowsOptions } from './commonOptions.js';
import { UsageError } from './usageError.js';

interface WorkerOptions extends WorkflowsOptions {
  store?: string;
  llm?: string;
  artifacts?: string;
}

/** `ecl worker`: `ecl serve` without the API and the read models — drives its share of the store's workflows until stopped. */
export function workerCommand(): Command {
  return addEngineOptions(
    new Command('worker').description(
      "Drive a share of the store's workflows beside other workers (no HTTP API); a dead worker's share moves to the others (docs/scaling.md)",
    ),
  ).action(async (options: WorkerOptions) => {
    const { openEngineHost } = await import('./openEngineHost.js');
    const host = await openEngineHost({ ...options, role: 'worker', logLevel: undefined });
    if (host.node === undefined) {
      await host.close();
      throw new UsageError(
        `ecl worker needs a store that keeps leases (sqlite:, postgres://, memory:); ${host.store.description} does not: run one ecl serve on it`,
      );
    }
    const summary = host.node.summary();
    console.log(
      [
        ...host.banner,
        `Worker ${summary.id}: ${summary.held.length} of ${summary.partitions} partitions`,
        `Recovered: ${host.recovered?.resumed.length ?? 0} resumed, ${host.recovered?.waiting ?? 0} waiting for a person or a signal`,
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        console.log(`${signal}: stopping (model calls in flight are left to the other workers; leases are handed back)`);
        void host.close().then(resolve, (error: unknown) => {
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
