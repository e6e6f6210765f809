import type { Engine } from '../actors/index.js';
import type { EventStore } from '../eventstore/index.js';
import type { CommandFlags } from './commonOptions.js';
import { type TransitionPrinter, announceSleeps, printTransitions, repeatedFlags, summarize } from './followWorkflow.js';
import type { EngineHost } from './openEngineHost.js';
import { type FamilyWatch, settleFamily, watchFamily } from './runFamily.js';

/** What `ecl run` and `ecl send` watch from before they act on a workflow until they are done. */
export interface RunWatch {
  /** With --follow: prints each transition. */
  printer?: TransitionPrinter;
  /** The children started while the command runs. */
  family: FamilyWatch;
  unsubscribe(): void;
}

/**
 * Starts watching `workflowId` before the command starts or sends anything, so not one transition
 * is missed: with `follow`, every transition; without, a sleep it waits through is still announced,
 * which would otherwise look like a hang. And the children it starts.
 */
export function watchRun(engine: Engine, store: EventStore, workflowId: string, options: { follow: boolean; print: (line: string) => void }): RunWatch {
  const printer = options.follow ? printTransitions(engine, store, workflowId, options.print) : undefined;
  const following = printer ?? announceSleeps(engine, workflowId, options.print);
  const family = watchFamily(engine, workflowId);
  return {
    ...(printer === undefined ? {} : { printer }),
    family,
    unsubscribe() {
      following.unsubscribe();
      family.unsubscribe();
    },
  };
}

export interface SettleRequest {
  workflowId: string;
  watch: RunWatch;
  /** Report the family's usage even when no child started here: a resumed run may have children from before. */
  familyFromBefore: boolean;
  /** The flags it was given: where the read models are (the family's usage), and what its hints repeat. */
  flags: CommandFlags;
  print: (line: string) => void;
}

/**
 * How `ecl run` and `ecl send` end: drive the workflow to rest, print its closing lines, drive the
 * children it started to rest too, then their usage as `ecl audit` counts it. Returns the exit code.
 */
export async function settleAndReport(host: EngineHost, request: SettleRequest): Promise<number> {
  const { workflowId, print } = request;
  const { printer, family } = request.watch;
  const settled = await host.engine.settled(workflowId);
  await printer?.finish(settled.revision);
  const summary = summarize(settled, 'ecl send', host.definitions, repeatedFlags(request.flags));
  for (const line of summary.lines) print(line);
  await settleFamily(host.engine, family, print);
  if (request.familyFromBefore || family.started().length > 0) {
    const { familyLines } = await import('./projectionCliSupport.js');
    for (const line of await familyLines(request.flags, host.store, workflowId)) print(line);
  }
  return summary.exitCode;
}
