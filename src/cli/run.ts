import { Command, Option } from 'commander';
import { inlineInputFiles, inputBaseDir } from './inlineInputFiles.js';
import { openEngineHost } from './openEngineHost.js';
import { readJsonArgument } from './readJsonArgument.js';
import { runWorkflow } from './runWorkflow.js';
import { withShutdown } from './withShutdown.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';
import { remoteRun } from './remote/remoteCommands.js';

interface RunOptions {
  input: string;
  id?: string;
  follow?: boolean;
  store?: string;
  llm?: string;
  artifacts?: string;
}

export const addEngineOptions = (command: Command): Command =>
  command
    .addOption(new Option('--store <url>', 'event store URL (memory:, sqlite:<file>, esdb://…); default sqlite:./.ecl/ecl.db').env('ECL_STORE'))
    .addOption(new Option('--llm <spec>', 'model: offline, anthropic or script:<file>; default anthropic if ANTHROPIC_API_KEY is set, else offline').env('ECL_LLM'))
    .addOption(new Option('--artifacts <dir>', 'artifact folder (default ./.ecl/artifacts)').env('ECL_ARTIFACTS_DIR'));

export function runCommand(): Command {
  return addRemoteOptions(addEngineOptions(
    new Command('run')
      .description('Run a workflow to its end (or until it waits for a person); the same --id resumes it after a crash')
      .argument('<definition>', 'workflow definition, e.g. brief or serial3')
      .option('--input <json|@file>', 'workflow input as JSON, or @file.json; its "files" are read here (relative to the file) into inline "documents"', '{}')
      .option('--id <id>', 'workflow id (idempotency key); default a new UUID')
      .option('--follow', 'print each transition as it is recorded'),
  )).action(async (definition: string, options: RunOptions) => {
    const input = inlineInputFiles(readJsonArgument(options.input, '--input'), inputBaseDir(options.input));
    const remote = remoteClientOf(options as RemoteOptions);
    if (remote !== undefined) return void (process.exitCode = await remoteRun(remote, { definition, input, ...(options.id === undefined ? {} : { id: options.id }), follow: options.follow === true }));
    const host = await openEngineHost(options);
    process.exitCode = await withShutdown(host, options.id, () =>
      runWorkflow(host, { definition, input, ...(options.id === undefined ? {} : { id: options.id }), follow: options.follow === true, print: (line) => console.log(line) }),
    );
  });
}
