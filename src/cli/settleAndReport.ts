import type { CommandFlags } from './commonOptions.js';
import { type TransitionPrinter, repeatedFlags, summarize } from './followWorkflow.js';
import type { EngineHost } from './openEngineHost.js';
import { type FamilyWatch, settleFamily } from './runFamily.js';

export interface SettleRequest {
  workflowId: string;
  /** With --follow: prints the transitions not shown yet. */
  printer?: TransitionPrinter;
  /** The children started while the command ran. */
  family: FamilyWatch;
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
  const { workflowId, print, family } = request;
  const settled = await host.engine.settled(workflowId);
  await request.printer?.finish(settled.revision);
  const summary = summarize(settled, 'ecl send', host.definitions, repeatedFlags(request.flags));
  for (const line of summary.lines) print(line);
  await settleFamily(host.engine, family, print);
  if (request.familyFromBefore || family.started().length > 0) {
    const { familyLines } = await import('./projectionCliSupport.js');
    for (const line of await familyLines(request.flags, host.store, workflowId)) print(line);
  }
  return summary.exitCode;
}
