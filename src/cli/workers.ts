import { Command } from 'commander';
import { storeOption } from './commonOptions.js';
import { printJson } from './output.js';

interface WorkersOptions {
  store?: string;
  json?: boolean;
  all?: boolean;
}

/** `ecl workers`: who shares the store, what each holds, how far behind each follows the log. */
export function workersCommand(): Command {
  return new Command('workers')
    .description('List the live workers sharing the store: their partition leases, last heartbeat and lag (docs/scaling.md)')
    .addOption(storeOption())
    .option('--all', 'also list workers that stopped heartbeating (for a while; one that left, or found dead by its pid on its machine, is removed at once)')
    .option('--json', 'print JSON for machines')
    .action(async (options: WorkersOptions) => {
      const [{ loadConfig }, { openEventStore, DEFAULT_STORE_URL }, { describeCluster }] = await Promise.all([
        import('../config/index.js'),
        import('../eventstore/index.js'),
        import('../cluster/index.js'),
      ]);
      const { config } = loadConfig({ flags: { store: options.store } });
      const store = await openEventStore(config.store ?? DEFAULT_STORE_URL);
      try {
        if (store.leases === undefined) {
          console.error(`${store.description} keeps no leases: one ecl serve drives it (docs/scaling.md)`);
          process.exitCode = 1;
          return;
        }
        const status = await describeCluster(store.leases, Date.now(), config.leaseTtlMs);
        const shown = { ...status, workers: status.workers.filter((worker) => options.all === true || worker.live) };
        if (options.json === true) return printJson(shown);
        console.log(
          `${shown.workers.length} ${options.all === true ? '' : 'live '}worker(s), ${status.partitions} partitions, ${status.unowned.length} unowned`,
        );
        for (const worker of shown.workers) {
          const age = Math.max(0, Date.now() - Date.parse(worker.lastSeen));
          console.log(
            `  ${worker.id}  ${worker.role}  pid ${worker.pid}@${worker.host}  ${worker.live ? 'live' : 'gone'}  ` +
              `partitions ${worker.partitions.length}  in flight ${worker.inFlight}  lag ${worker.lag}  seen ${age} ms ago${worker.url === undefined || worker.url === '' ? '' : `  ${worker.url}`}`,
          );
        }
      } finally {
        await store.close();
      }
    });
}
