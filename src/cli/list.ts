import { Command, InvalidArgumentError } from 'commander';
import type { WorkflowStatusValue } from '../projections/index.js';
import { addReadSideOptions, type ReadSideOptions } from './commonOptions.js';
import { formatStatusTable } from './formatStatus.js';
import { printJson } from './output.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';
import { UsageError } from './usageError.js';

interface ListOptions extends ReadSideOptions {
  status?: WorkflowStatusValue;
  definition?: string;
  tenant?: string;
  parent?: string;
  limit: number;
  cursor?: string;
}

const parseLimit = (value: string): number => {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidArgumentError('a whole number from 1 to 1000');
  return limit;
};

export function listCommand(): Command {
  return addRemoteOptions(
    addReadSideOptions(
      new Command('list')
        .description('List workflows, newest first')
        .option('--status <status>', 'only this status (running, waiting, completed, …: see ecl status)')
        .option('--definition <name>', 'only this definition')
        .option('--tenant <tenant>', 'only this tenant')
        .option('--parent <id>', 'only the child workflows this workflow started')
        .option('--limit <n>', 'at most this many', parseLimit, 50)
        .option('--cursor <cursor>', 'continue after a previous page'),
    ),
  ).action(async (options: ListOptions) => {
    const { WORKFLOW_STATUSES } = await import('../projections/index.js');
    // Checked here rather than by commander, so the list of statuses loads only when it is needed.
    if (options.status !== undefined && !(WORKFLOW_STATUSES as readonly string[]).includes(options.status)) {
      throw new UsageError(`error: option '--status <status>' argument '${options.status}' is invalid. use one of ${WORKFLOW_STATUSES.join(', ')}`);
    }
    const remote = await remoteClientOf(options as RemoteOptions);
    if (remote !== undefined)
      return (await import('./remote/remoteCommands.js')).remoteList(
        remote,
        { status: options.status, definition: options.definition, parent: options.parent, limit: options.limit, cursor: options.cursor },
        options.json === true,
      );
    const { withProjections } = await import('./projectionCliSupport.js');
    await withProjections(options, async ({ queries }, loaded) => {
      const page = await queries.listWorkflows({
        limit: options.limit,
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.definition === undefined ? {} : { definition: options.definition }),
        ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
        ...(options.parent === undefined ? {} : { parent: options.parent }),
        ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      });
      if (options.json) return printJson(page);
      if (page.items.length === 0)
        return console.log(
          options.status === 'blocked' && loaded.definitions === 0
            ? 'No workflows. Blocked means no loaded definition can run it: with no workflow modules loaded, none is shown as blocked (pass --workflows <module>).'
            : 'No workflows.',
        );
      console.log(formatStatusTable(page.items).join('\n'));
      if (page.nextCursor !== undefined) console.log(`more: --cursor ${page.nextCursor}`);
    });
  });
}
