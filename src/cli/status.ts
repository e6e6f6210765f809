import { Command } from 'commander';
import { addReadSideOptions, fail, printJson, withProjections, type ReadSideOptions } from './projectionCliSupport.js';
import { formatStatus, formatStatusTable } from './formatStatus.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';
import { remoteStatus } from './remote/remoteCommands.js';

export function statusCommand(): Command {
  return addRemoteOptions(addReadSideOptions(new Command('status').description('Show one workflow, or counts and the latest workflows').argument('[id]', 'workflow id'))).action(
    async (id: string | undefined, options: ReadSideOptions) => {
      const remote = remoteClientOf(options as RemoteOptions);
      if (remote !== undefined) return remoteStatus(remote, id, options.json === true);
      await withProjections(options, async ({ queries, runner }) => {
        if (id !== undefined) {
          const status = queries.getStatus(id);
          if (status === undefined) return fail(`No workflow "${id}" in the read models (store ${runner.checkpoint() === null ? 'has no workflow events' : 'caught up'}).`);
          return options.json ? printJson(status) : console.log(formatStatus(status).join('\n'));
        }
        const metrics = queries.metricsSummary();
        const latest = queries.listWorkflows({ limit: 20 }).items;
        const lag = await runner.lag();
        if (options.json) return printJson({ workflows: metrics.workflows, latest, lag });
        const counts = Object.entries(metrics.workflows.byStatus).map(([status, n]) => `${status} ${n}`);
        console.log(`${metrics.workflows.total} workflows${counts.length > 0 ? `: ${counts.join(', ')}` : ''}`);
        if (latest.length > 0) console.log(formatStatusTable(latest).join('\n'));
      });
    },
  );
}
