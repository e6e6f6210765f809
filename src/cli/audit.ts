import { Command } from 'commander';
import { addReadSideOptions, type ReadSideOptions } from './commonOptions.js';
import { fail, printJson } from './output.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';

export function auditCommand(): Command {
  return addRemoteOptions(
    addReadSideOptions(
      new Command('audit')
        .description("A workflow's audit trail: every recorded event, by step, with verdicts, feedback, tokens and cost")
        .argument('<id>', 'workflow id'),
    ),
  ).action(async (id: string, options: ReadSideOptions) => {
    const remote = await remoteClientOf(options as RemoteOptions);
    if (remote !== undefined) return (await import('./remote/remoteCommands.js')).remoteAudit(remote, id, options.json === true);
    const [{ withProjections }, { formatAuditTimeline }] = await Promise.all([import('./projectionCliSupport.js'), import('../projections/index.js')]);
    await withProjections(options, async ({ queries }) => {
      const entries = await queries.getAudit(id);
      if (entries.length === 0) return fail(`No workflow "${id}" in the read models.`);
      const descendants = await queries.getDescendants(id);
      // The HTTP API's shape (GET /v1/workflows/:id/audit), locally and with --server alike.
      if (options.json) return printJson({ workflowId: id, entries, descendants });
      console.log(formatAuditTimeline(id, entries, descendants).join('\n'));
    });
  });
}
