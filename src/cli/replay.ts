import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { addWorkflowsOption, storeOption, type WorkflowsOptions } from './commonOptions.js';
import { createLineBuffer } from './lineBuffer.js';
import { fail } from './output.js';
import { parsePort } from './parsePort.js';
import { UsageError } from './usageError.js';

interface ReplayCliOptions extends WorkflowsOptions {
  store?: string;
  to?: number;
  verify?: boolean;
  all?: boolean;
  inspect?: boolean;
  inspectPort?: number;
  json?: boolean;
}

const parseRevision = (value: string): number => {
  const revision = Number(value);
  if (!Number.isInteger(revision) || revision < 0) throw new InvalidArgumentError('a revision: a whole number from 0');
  return revision;
};

export function replayCommand(): Command {
  return addWorkflowsOption(new Command('replay'))
    .description("Fold a workflow's stored stream through the machine version that wrote it: no model call, no artifact write, no append")
    .argument('[id]', 'workflow id')
    .addOption(storeOption())
    .option('--to <revision>', 'stop after this revision (time travel)', parseRevision)
    .option('--verify', 'check the fold reproduces the recorded states, decisions and outcome; exit 1 at the first divergence')
    .option('--all', 'verify every workflow in the store (instead of <id>), e.g. before deploying changed definitions; exit 1 if one cannot be replayed')
    .option('--inspect', 'serve the replayed history to the Stately inspector (127.0.0.1)')
    .option('--inspect-port <port>', 'inspector relay port (default: inspectPort config, 8080; 0 = any free port)', parsePort)
    .option('--json', 'print JSON for machines')
    .action(async (id: string | undefined, options: ReplayCliOptions) => {
      if ((id === undefined) === (options.all !== true)) throw new UsageError('ecl replay: give a workflow id, or --all for every workflow');
      if (options.all === true && (options.to !== undefined || options.inspect === true))
        throw new UsageError('ecl replay --all verifies whole histories: --to and --inspect are for one workflow');
      const [{ loadConfig }, { openEventStore, sqlitePathOf }, { isProjectionError }, { runReplay }, { loadDefinitions }, { storeUrlOf }] = await Promise.all([
        import('../config/index.js'),
        import('../eventstore/index.js'),
        import('../projections/index.js'),
        import('../replay/index.js'),
        import('./loadDefinitions.js'),
        import('./projectionCliSupport.js'),
      ]);
      const { registry } = await loadDefinitions(options);
      if (id === undefined && registry.list().length === 0)
        throw new UsageError(
          'ecl replay --all checks the stored workflows against the definitions you deploy: load them with --workflows <module>, "workflows" in ecl.config.json or ECL_WORKFLOWS',
        );
      const storeUrl = storeUrlOf(options);
      // Replay reads only: opening a SQLite file that is not there would create an empty store and find nothing in it.
      const file = /^sqlite:/i.test(storeUrl) ? sqlitePathOf(storeUrl) : undefined;
      if (file !== undefined && file !== ':memory:' && !existsSync(file)) throw new UsageError(`ecl replay: no store at ${file} (--store, ECL_STORE)`);
      const store = await openEventStore(storeUrl);
      const stdout = createLineBuffer();
      const err = (line: string) => {
        stdout.flush();
        console.error(line);
      };
      try {
        if (id === undefined) {
          const { replayAll } = await import('./replayAll.js');
          process.exitCode = await replayAll(store, registry, { json: options.json === true, out: stdout.write, err });
          return;
        }
        const outcome = await runReplay({
          workflowId: id,
          store,
          registry,
          ...(options.to === undefined ? {} : { to: options.to }),
          verify: options.verify === true,
          json: options.json === true,
          ...(options.inspect ? { inspectPort: options.inspectPort ?? loadConfig().config.inspectPort } : {}),
          out: stdout.write,
          err,
        });
        stdout.flush();
        process.exitCode = outcome.exitCode;
        if (outcome.relay !== undefined) {
          const relay = outcome.relay;
          const { inspectorNotice } = await import('../inspect/index.js');
          console.error(inspectorNotice(relay.url));
          await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
          await relay.close();
        }
      } catch (error) {
        if (!isProjectionError(error)) throw error;
        const noModules = error.code === 'DEFINITION_NOT_REGISTERED' && registry.list().length === 0;
        fail(
          noModules ? `${error.message} (no workflow module is loaded: --workflows <module>, "workflows" in ecl.config.json or ECL_WORKFLOWS)` : error.message,
        );
      } finally {
        stdout.flush();
        await store.close();
      }
    });
}
