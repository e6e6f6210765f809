import { Command, CommanderError } from 'commander';
import { isConfigError } from '../config/index.js';
import { isEventStoreError } from '../eventstore/index.js';
import { isLlmError } from '../llm/index.js';
import { isWorkflowModuleError } from '../workflows/index.js';
import { auditCommand } from './audit.js';
import { definitionsCommand } from './definitions.js';
import { listCommand } from './list.js';
import { projectionsCommand } from './projections.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { sendCommand } from './send.js';
import { serveCommand } from './serve.js';
import { statusCommand } from './status.js';
import { EXIT, isUsageError } from './usageError.js';

/** `ecl`: one file per subcommand, each exporting a factory that is added here. */
export function createProgram(): Command {
  const program = new Command('ecl')
    .description('Extract, Cogitate, Load: durable, bounded, auditable AI workflows')
    .version('0.1.0')
    .showHelpAfterError('(run ecl --help for usage)');
  for (const command of [runCommand(), sendCommand(), statusCommand(), listCommand(), auditCommand(), replayCommand(), projectionsCommand(), serveCommand(), definitionsCommand()]) {
    program.addCommand(command);
  }
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Errors a person can act on print one message and no stack; the code says what kind. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    if (isUsageError(error) || isConfigError(error) || isWorkflowModuleError(error) || (isEventStoreError(error) && error.code === 'INVALID_STORE_URL') || (isLlmError(error) && error.code === 'CONFIG')) {
      console.error(error.message);
      return EXIT.usage;
    }
    console.error(`ecl: ${(error as Error).message ?? String(error)}`);
    if (process.env.ECL_DEBUG) console.error((error as Error).stack);
    return EXIT.notCompleted;
  }
}

process.exitCode = await main(process.argv);
