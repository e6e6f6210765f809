import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import type { DefinitionRegistry } from '../machines/index.js';
import { addEngineOptions, type WorkflowsOptions } from './commonOptions.js';
import { readJsonArgument } from './readJsonArgument.js';
import { UsageError } from './usageError.js';
import { withShutdown } from './withShutdown.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';

interface RunOptions extends WorkflowsOptions {
  input?: string;
  id?: string;
  follow?: boolean;
  definitionVersion?: number;
  store?: string;
  llm?: string;
  artifacts?: string;
}

/** The folder an `--input` value's relative paths are taken from: the `@file`'s folder, else the working directory. */
export const inputBaseDir = (value: string): string => (value.startsWith('@') && value !== '@-' ? resolve(value.slice(1), '..') : process.cwd());

/** `--definition-version`: a whole number >= 1 (commander reports anything else as a usage error). */
const parseVersion = (value: string): number => {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1) throw new InvalidArgumentError('a whole number >= 1');
  return version;
};

/** Runs the definition's own input loader, if it declares one, here at the edge: the recorded input is what it returns. */
async function prepareInput(definitions: DefinitionRegistry, name: string, version: number | undefined, raw: unknown, baseDir: string): Promise<unknown> {
  const loader = definitions.get(name, version)?.loadInput;
  if (loader === undefined) return raw;
  try {
    return await loader(raw, { baseDir });
  } catch (error) {
    throw new UsageError(`Cannot prepare the input of ${name}: ${(error as Error).message}`);
  }
}

export function runCommand(): Command {
  return addRemoteOptions(
    addEngineOptions(
      new Command('run')
        .description('Run a workflow to its end (or until it waits for a person); the same --id resumes it after a crash')
        .argument('<definition>', 'workflow definition name (see ecl definitions)')
        .option(
          '--input <json|@file>',
          'workflow input as JSON, or @file.json (the definition may read files it names, relative to the file); default {}, or with --id of an existing workflow the input it recorded',
        )
        .option('--id <id>', 'workflow id (idempotency key); default a new UUID')
        .option('--follow', 'print each transition as it is recorded')
        // Not --version: that is `ecl --version`, which commander reads after the subcommand too.
        .option('--definition-version <n>', 'start this registered version of the definition (default: the newest)', parseVersion),
    ),
  ).action(async (definition: string, options: RunOptions) => {
    const [{ loadConfig }, { WORKFLOW_ID_RULE, isWorkflowId }] = await Promise.all([import('../config/index.js'), import('../edge/index.js')]);
    // The API's id rule: a tenant's prefix is added only by the API's own scoping, never given here.
    if (options.id !== undefined && !isWorkflowId(options.id))
      throw new UsageError(`Invalid --id ${JSON.stringify(options.id.slice(0, 200))}: ${WORKFLOW_ID_RULE}`);
    // No --input with an --id: resume that workflow with its recorded input (or start one with {}).
    const resuming = options.input === undefined && options.id !== undefined;
    const raw = readJsonArgument(options.input ?? '{}', '--input', loadConfig().config.maxJsonDepth);
    const remote = await remoteClientOf(options as RemoteOptions);
    const { registry } = await (await import('./loadDefinitions.js')).loadDefinitions(options);
    const version = options.definitionVersion;
    const input = resuming ? undefined : await prepareInput(registry, definition, version, raw, inputBaseDir(options.input ?? '{}'));
    if (remote !== undefined)
      return void (process.exitCode = await (
        await import('./remote/remoteCommands.js')
      ).remoteRun(remote, {
        definition,
        ...(version === undefined ? {} : { version }),
        input,
        ...(options.id === undefined ? {} : { id: options.id }),
        follow: options.follow === true,
      }));
    if (registry.get(definition) === undefined) throw new UsageError(unknownDefinition(definition, registry));
    const chosen = registry.get(definition, version);
    if (chosen === undefined) throw new UsageError(unknownVersion(definition, version, registry));
    const [{ openEngineHost }, { runWorkflow, usageErrorOf }, { parseInput }] = await Promise.all([
      import('./openEngineHost.js'),
      import('./runWorkflow.js'),
      import('../actors/index.js'),
    ]);
    // Refused before any store is opened, like an unknown name (the engine checks it again when it starts the workflow).
    try {
      if (input !== undefined) parseInput(chosen, input);
    } catch (error) {
      throw usageErrorOf(error, `${chosen.name} v${chosen.version}`);
    }
    const host = await openEngineHost({ ...options, definitions: registry });
    process.exitCode = await withShutdown(host, options.id, () =>
      runWorkflow(host, {
        definition,
        ...(version === undefined ? {} : { version }),
        input,
        ...(options.id === undefined ? {} : { id: options.id }),
        follow: options.follow === true,
        print: (line) => console.log(line),
        flags: options,
      }),
    );
  });
}

/** Refused before any store is opened, so nothing is written and no workflow id is printed. */
const unknownDefinition = (name: string, registry: DefinitionRegistry): string =>
  registry.names().length === 0
    ? `Unknown workflow definition "${name}": no workflow module is loaded (pass --workflows <module>, or set "workflows" in ecl.config.json or ECL_WORKFLOWS)`
    : `Unknown workflow definition "${name}". Known: ${registry.names().join(', ')}`;

/** Refused before any store is opened, like an unknown name. */
const unknownVersion = (name: string, version: number | undefined, registry: DefinitionRegistry): string => {
  const registered = registry.versions(name).map((known) => `v${known}`);
  return `Unknown version ${version} of workflow definition "${name}". Registered: ${registered.join(', ')}`;
};
