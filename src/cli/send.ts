import { Command } from 'commander';
import { addEngineOptions } from './commonOptions.js';
import { readJsonArgument } from './readJsonArgument.js';
import { EXIT, UsageError } from './usageError.js';
import { withShutdown } from './withShutdown.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';

interface SendCliOptions {
  data?: string;
  follow?: boolean;
  store?: string;
  llm?: string;
  artifacts?: string;
}

export function sendCommand(): Command {
  return addRemoteOptions(
    addEngineOptions(
      new Command('send')
        .description('Send a command (APPROVE, REJECT, REQUEST_REVISION, CANCEL) to a workflow, then run it until it settles')
        .argument('<id>', 'workflow id')
        .argument('<type>', 'command type, e.g. APPROVE')
        .option('--data <json|@file>', 'command fields as JSON, e.g. {"feedback":"…"}')
        .option('--follow', 'print each transition as it is recorded'),
    ),
  ).action(async (id: string, type: string, options: SendCliOptions) => {
    const { loadConfig } = await import('../config/index.js');
    const data = options.data === undefined ? {} : readJsonArgument(options.data, '--data', loadConfig().config.maxJsonDepth);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UsageError('--data must be a JSON object');
    const remote = await remoteClientOf(options as RemoteOptions);
    if (remote !== undefined)
      return void (process.exitCode = await (
        await import('./remote/remoteCommands.js')
      ).remoteSend(remote, { id, type: type.toUpperCase(), data, follow: options.follow === true }));
    const [{ openEngineHost }, { printTransitions, summarize }] = await Promise.all([import('./openEngineHost.js'), import('./followWorkflow.js')]);
    const host = await openEngineHost(options);
    process.exitCode = await withShutdown(host, id, async () => {
      const following = options.follow === true ? printTransitions(host.engine, id, (line) => console.log(line)) : undefined;
      try {
        const result = await host.engine.send(id, { ...data, type: type.toUpperCase() }, { sender: 'cli' });
        if (!result.accepted) {
          console.error(result.message);
          return result.code === 'WORKFLOW_NOT_FOUND' || result.code === 'CONCURRENCY_CONFLICT' ? EXIT.notCompleted : EXIT.usage;
        }
        console.log(`${type.toUpperCase()} accepted: ${id} is now ${result.view.state}`);
        const summary = summarize(await host.engine.settled(id), 'ecl send');
        for (const line of summary.lines) console.log(line);
        return summary.exitCode;
      } finally {
        following?.unsubscribe();
      }
    });
  });
}
