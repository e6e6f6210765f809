import { Command } from 'commander';
import type { WorkflowStatus } from '../projections/index.js';
import { addReadSideOptions, fail, printJson, withProjections, type ReadSideOptions } from './projectionCliSupport.js';
import { formatStatusTable } from './list.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';
import { remoteStatus } from './remote/remoteCommands.js';

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

export function formatStatus(status: WorkflowStatus): string[] {
  const lines = [`${status.workflowId}  ${status.definition} v${status.version}  ${status.status}`];
  const row = (name: string, value: string | undefined) => value !== undefined && value !== '' && lines.push(`  ${name.padEnd(11)} ${value}`);
  row('tenant', status.tenant ?? undefined);
  row('state', status.state === null ? undefined : text(status.state));
  row('step', status.currentStep ?? undefined);
  row('iterations', Object.entries(status.iterations).map(([step, n]) => `${step}=${n}`).join(' '));
  row('revision', String(status.revision));
  row('created', status.createdAt);
  row('updated', status.updatedAt);
  const artifact = status.artifact as { path?: string; hash?: string; bytes?: number } | null;
  row('artifact', artifact === null ? undefined : `${artifact.path ?? ''} (${artifact.bytes ?? '?'} bytes, sha256 ${(artifact.hash ?? '').slice(0, 12)}…)`);
  row('output', status.output === null ? undefined : text(status.output).slice(0, 200));
  row('reason', status.reason ?? undefined);
  const error = status.error as { code?: string; message?: string } | null;
  row('error', error === null ? undefined : `${error.code ?? ''}: ${error.message ?? ''}`);
  return lines;
}

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
