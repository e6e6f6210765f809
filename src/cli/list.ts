import { Command, InvalidArgumentError } from 'commander';
import { WORKFLOW_STATUSES, type WorkflowStatusValue } from '../projections/index.js';
import { formatStatusTable } from './formatStatus.js';
import { addReadSideOptions, printJson, withProjections, type ReadSideOptions } from './projectionCliSupport.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';
import { remoteList } from './remote/remoteCommands.js';

interface ListOptions extends ReadSideOptions {
  status?: WorkflowStatusValue;
  definition?: string;
  tenant?: string;
  limit: number;
  cursor?: string;
}

const parseStatus = (value: string): WorkflowStatusValue => {
  if (!(WORKFLOW_STATUSES as readonly string[]).includes(value)) throw new InvalidArgumentError(`use one of ${WORKFLOW_STATUSES.join(', ')}`);
  return value as WorkflowStatusValue;
};

const parseLimit = (value: string): number => {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidArgumentError('a whole number from 1 to 1000');
  return limit;
};

export function listCommand(): Command {
  return addRemoteOptions(addReadSideOptions(
    new Command('list')
      .description('List workflows, newest first')
      .option('--status <status>', `only this status (${WORKFLOW_STATUSES.join(', ')})`, parseStatus)
      .option('--definition <name>', 'only this definition')
      .option('--tenant <tenant>', 'only this tenant')
      .option('--limit <n>', 'at most this many', parseLimit, 50)
      .option('--cursor <cursor>', 'continue after a previous page'),
  )).action(async (options: ListOptions) => {
    const remote = remoteClientOf(options as RemoteOptions);
    if (remote !== undefined) return remoteList(remote, { status: options.status, definition: options.definition, limit: options.limit, cursor: options.cursor }, options.json === true);
    await withProjections(options, ({ queries }) => {
      const page = queries.listWorkflows({
        limit: options.limit,
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.definition === undefined ? {} : { definition: options.definition }),
        ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
        ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      });
      if (options.json) return printJson(page);
      if (page.items.length === 0) return console.log('No workflows.');
      console.log(formatStatusTable(page.items).join('\n'));
      if (page.nextCursor !== undefined) console.log(`more: --cursor ${page.nextCursor}`);
    });
  });
}
