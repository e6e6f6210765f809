import { Command } from 'commander';
import { addReadSideOptions, type ReadSideOptions } from './commonOptions.js';
import { formatStatus, formatStatusTable, unfinishedChildren } from './formatStatus.js';
import { fail, printJson } from './output.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';

export function statusCommand(): Command {
  return addRemoteOptions(
    addReadSideOptions(new Command('status').description('Show one workflow, or counts and the latest workflows').argument('[id]', 'workflow id')),
  ).action(async (id: string | undefined, options: ReadSideOptions) => {
    const remote = await remoteClientOf(options as RemoteOptions);
    if (remote !== undefined) return (await import('./remote/remoteCommands.js')).remoteStatus(remote, id, options.json === true);
    const [{ withProjections }, { isFinishedStatus }] = await Promise.all([import('./projectionCliSupport.js'), import('../machines/index.js')]);
    await withProjections(options, async ({ queries, runner }) => {
      if (id !== undefined) {
        const status = await queries.getStatus(id);
        if (status === undefined)
          return fail(`No workflow "${id}" in the read models (store ${runner.checkpoint() === null ? 'has no workflow events' : 'caught up'}).`);
        if (options.json) return printJson(status);
        // A live workflow's unfinished children: what its step may be waiting on.
        const { children, more } = isFinishedStatus(status.status)
          ? { children: [], more: false }
          : await unfinishedChildren(id, async (query) => {
              const page = await queries.listWorkflows(query);
              return { items: page.items, more: page.nextCursor !== undefined };
            });
        return console.log(formatStatus(status, children, more).join('\n'));
      }
      const metrics = await queries.metricsSummary();
      const latest = (await queries.listWorkflows({ limit: 20 })).items;
      const lag = await runner.lag();
      if (options.json) return printJson({ workflows: metrics.workflows, latest, lag });
      const counts = Object.entries(metrics.workflows.byStatus).map(([status, n]) => `${status} ${n}`);
      console.log(`${metrics.workflows.total} workflows${counts.length > 0 ? `: ${counts.join(', ')}` : ''}`);
      if (latest.length > 0) console.log(formatStatusTable(latest).join('\n'));
    });
  });
}
