import { Command } from 'commander';
import type { EngineCommand } from '../actors/index.js';
import { addEngineOptions, type WorkflowsOptions } from './commonOptions.js';
import { readJsonArgument } from './readJsonArgument.js';
import { EXIT, UsageError } from './usageError.js';
import { holdLines } from './holdLines.js';
import { withShutdown } from './withShutdown.js';
import { addRemoteOptions, remoteClientOf, type RemoteOptions } from './remote/remoteOptions.js';

interface SendCliOptions extends WorkflowsOptions {
  data?: string;
  note?: string;
  idempotencyKey?: string;
  follow?: boolean;
  store?: string;
  llm?: string;
  artifacts?: string;
}

export function sendCommand(): Command {
  return addRemoteOptions(
    addEngineOptions(
      new Command('send')
        .description(
          'Send a command (APPROVE, REJECT, REQUEST_REVISION, CANCEL) or a signal (the lowercase name a signal step waits for) to a workflow, then run it until it settles',
        )
        .argument('<id>', 'workflow id')
        .argument('<type>', 'command type, e.g. APPROVE, or a signal name, e.g. payment')
        .option(
          '--data <json|@file>',
          'a command\'s fields as a JSON object, e.g. {"feedback":"…"}; a signal\'s data (any JSON), checked against its step\'s schema',
        )
        .option('--note <text>', 'APPROVE only: a note recorded with the decision, shown in the audit')
        .option('--idempotency-key <key>', 'your id for this command: sent again with it, it is not recorded twice (the answer is the first recording)')
        .option('--follow', 'print each transition as it is recorded'),
    ),
  ).action(async (id: string, typeArgument: string, options: SendCliOptions) => {
    const { loadConfig } = await import('../config/index.js');
    const { SIGNAL_NAME, isCommandType } = await import('../machines/index.js');
    // Commands are upper case (`approve` works too); any other name a signal step may use is a signal.
    const named = isCommandType(typeArgument.toUpperCase());
    const signal = !named && SIGNAL_NAME.test(typeArgument);
    // Only the four command names are upper-cased: anything else is refused as the person typed it.
    const type = named ? typeArgument.toUpperCase() : typeArgument;
    const data = options.data === undefined ? (signal ? undefined : {}) : readJsonArgument(options.data, '--data', loadConfig().config.maxJsonDepth);
    if (!signal && (typeof data !== 'object' || data === null || Array.isArray(data))) throw new UsageError('--data must be a JSON object');
    if (options.note !== undefined) {
      if (type !== 'APPROVE') throw new UsageError('--note goes with APPROVE only (REJECT takes --data \'{"reason":"…"}\')');
      if (Object.hasOwn(data as object, 'note')) throw new UsageError('Give the note once: --note, or "note" in --data, not both');
      (data as Record<string, unknown>).note = options.note;
    }
    // A command's data are its fields; a signal's data are its payload.
    // What the person typed, unchecked: the engine checks it.
    const command = (signal ? { type, data } : { ...(data as Record<string, unknown>), type }) as EngineCommand;
    const remote = await remoteClientOf(options as RemoteOptions);
    if (remote !== undefined)
      return void (process.exitCode = await (
        await import('./remote/remoteCommands.js')
      ).remoteSend(remote, { id, type, data, follow: options.follow === true, idempotencyKey: options.idempotencyKey }));
    const [{ openEngineHost }, { driveParents, settleAndReport, watchRun }, { usageErrorOf }] = await Promise.all([
      import('./openEngineHost.js'),
      import('./settleAndReport.js'),
      import('./runWorkflow.js'),
    ]);
    const host = await openEngineHost(options);
    process.exitCode = await withShutdown(host, id, async () => {
      // What the command caused (a sleep begun, transitions with --follow) is printed after the line saying it was accepted.
      const held = holdLines((line) => console.log(line));
      const print = held.print;
      const watch = watchRun(host, id, { follow: options.follow === true, print });
      try {
        // Recorded before this command claims the workflow: claiming resumes a step left in flight
        // (a parent waiting on its child re-runs as a new attempt), which a refused command must not do.
        const sendOptions = { sender: 'cli', ...(options.idempotencyKey === undefined ? {} : { commandId: options.idempotencyKey }) };
        // --follow shows what the command causes, not the history before it.
        if (watch.printer !== undefined) {
          const before = await host.engine.get(id).catch((error: unknown) => {
            throw usageErrorOf(error);
          });
          if (before !== undefined) watch.printer.startAfter(before.revision);
        }
        const result = await host.engine.send(id, command, sendOptions).catch((error: unknown) => {
          throw usageErrorOf(error);
        });
        if (!result.accepted) {
          console.error(result.message);
          return result.code === 'WORKFLOW_NOT_FOUND' || result.code === 'CONCURRENCY_CONFLICT' ? EXIT.notCompleted : EXIT.usage;
        }
        await host.claim(id);
        const elsewhere = host.drivenElsewhere(id);
        if (elsewhere !== undefined) console.log(elsewhere);
        const what = signal ? `Signal ${type}` : type;
        console.log(
          result.duplicate === true
            ? `${what} was recorded before with this idempotency key (revision ${result.revision}): ${id} is now ${result.view.state}`
            : `${what} accepted: ${id} is now ${result.view.state}`,
        );
        held.release();
        // Children from before this command are not its work: only those it starts are reported.
        const code = await settleAndReport(host, { workflowId: id, watch, familyFromBefore: false, flags: options, print });
        return (await driveParents(host, id, options, print)) ?? code;
      } finally {
        watch.unsubscribe();
      }
    });
  });
}
