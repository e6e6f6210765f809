import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { auditCommand } from './audit.js';
import { definitionsCommand } from './definitions.js';
import { initCommand } from './init.js';
import { listCommand } from './list.js';
import { projectionsCommand } from './projections.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { sendCommand } from './send.js';
import { serveCommand } from './serve.js';
import { statusCommand } from './status.js';
import { workerCommand } from './worker.js';
import { workersCommand } from './workers.js';
import { EXIT, isUsageError } from './usageError.js';

/** The installed package's version (src/cli and dist/cli both sit two folders below package.json). */
const packageVersion = (): string => (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `ecl`: one file per subcommand, each exporting a factory that is added here. */
export function createProgram(): Command {
  const program = new Command('ecl')
    .description('Extract, Cogitate, Load: durable, bounded, auditable AI workflows')
    .version(packageVersion())
    .showHelpAfterError('(run ecl --help for usage)');
  for (const command of [
    initCommand(),
    runCommand(),
    sendCommand(),
    statusCommand(),
    listCommand(),
    auditCommand(),
    replayCommand(),
    projectionsCommand(),
    serveCommand(),
    workerCommand(),
    workersCommand(),
    definitionsCommand(),
  ]) {
    program.addCommand(command);
  }
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  program.hook('preAction', async (_program, action) => {
    let root = action;
    while (root.parent !== null && root.parent !== program) root = root.parent;
    if (LOCAL_ONLY.has(root.name())) await noteServerNotUsed(root.name());
  });
  return program;
}

/** Commands that read the local store only: a server named by ECL_SERVER or ecl.config.json does not apply to them. */
const LOCAL_ONLY: ReadonlySet<string> = new Set(['replay', 'projections', 'workers', 'definitions']);

async function noteServerNotUsed(command: string): Promise<void> {
  const { loadConfig } = await import('../config/index.js');
  let server: string | undefined;
  try {
    server = loadConfig().config.server;
  } catch {
    return; // The command reports a broken configuration itself.
  }
  if (server !== undefined)
    console.error(`Note: the server ${server} is configured, but ecl ${command} does not use it: it reads this machine's store and workflow modules.`);
}

/** Mistakes in what the user gave (flags, config, modules): exit 2. The guards load only when an error needs them. */
async function isUsersMistake(error: unknown): Promise<boolean> {
  if (isUsageError(error)) return true;
  // A non-loopback host without API keys (src/api/bindGuard.ts): a configuration to fix, not a failure.
  if ((error as { code?: unknown } | null)?.code === 'INSECURE_BIND') return true;
  const [{ isConfigError }, { isEventStoreError }, { isLlmError }, { isWorkflowModuleError }] = await Promise.all([
    import('../config/index.js'),
    import('../eventstore/index.js'),
    import('../llm/index.js'),
    import('../workflows/index.js'),
  ]);
  return (
    isConfigError(error) ||
    isWorkflowModuleError(error) ||
    (isEventStoreError(error) && error.code === 'INVALID_STORE_URL') ||
    (isLlmError(error) && error.code === 'CONFIG')
  );
}

/** Errors a person can act on print one message and no stack; the code says what kind. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Bare `ecl` is `commander.help` too, but with exit code 1: help shown because nothing was asked.
      const helpAsked =
        error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || (error.code === 'commander.help' && error.exitCode === 0);
      return helpAsked ? EXIT.ok : EXIT.usage;
    }
    if (await isUsersMistake(error)) {
      console.error((error as Error).message);
      return EXIT.usage;
    }
    console.error(`ecl: ${(error as Error).message ?? String(error)}`);
    if (process.env.ECL_DEBUG) console.error((error as Error).stack);
    return EXIT.notCompleted;
  }
}

/**
 * A reader that stops early (`ecl list | head -1`) closes the pipe. What is left to print goes
 * nowhere, quietly; the work goes on, so a workflow being run still completes in this process.
 */
function ignoreClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    throw error;
  });
}

ignoreClosedPipe(process.stdout);
ignoreClosedPipe(process.stderr);
process.exitCode = await main(process.argv);
