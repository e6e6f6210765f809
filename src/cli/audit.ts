import { Command } from 'commander';
import { formatAuditTimeline } from '../projections/index.js';
import { addReadSideOptions, fail, printJson, withProjections, type ReadSideOptions } from './projectionCliSupport.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';
import { remoteAudit } from './remote/remoteCommands.js';

export function auditCommand(): Command {
  return addRemoteOptions(addReadSideOptions(new Command('audit').description("A workflow's audit trail: every recorded event, by step, with verdicts, feedback, tokens and cost").argument('<id>', 'workflow id'))).action(
    async (id: string, options: ReadSideOptions) => {
      const remote = remoteClientOf(options as RemoteOptions);
      if (remote !== undefined) return remoteAudit(remote, id, options.json === true);
      await withProjections(options, ({ queries }) => {
        const entries = queries.getAudit(id);
        if (entries.length === 0) return fail(`No workflow "${id}" in the read models.`);
        if (options.json) return printJson(entries);
        console.log(formatAuditTimeline(id, entries).join('\n'));
      });
    },
  );
}
