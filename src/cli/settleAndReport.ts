import type { WorkflowView } from '../actors/index.js';
import { workflowStream } from '../eventstore/index.js';
import type { CommandFlags } from './commonOptions.js';
import { type TransitionPrinter, announceSleeps, printTransitions, repeatedFlags, summarize } from './followWorkflow.js';
import type { EngineHost } from './openEngineHost.js';
import { isFinishedStatus } from '../machines/index.js';
import { EXIT } from './usageError.js';
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
export function watchRun(host: EngineHost, workflowId: string, options: { follow: boolean; print: (line: string) => void }): RunWatch {
  const { engine } = host;
  const printer = options.follow ? printTransitions(engine, host.store, workflowId, options.print, host.definitions) : undefined;
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
  const summary = await closingLines(host, settled, repeatedFlags(request.flags));
  for (const line of summary.lines) print(line);
  await settleFamily(host.engine, family, print);
  if (request.familyFromBefore || family.started().length > 0) {
    const { familyLines } = await import('./projectionCliSupport.js');
    for (const line of await familyLines(request.flags, host.store, workflowId)) print(line);
  }
  return summary.exitCode;
}

/** The closing lines of a settled workflow, and the exit code they mean; a parent at rest with its family says what its children wait for. */
async function closingLines(host: EngineHost, view: WorkflowView, flags: string): Promise<{ lines: string[]; exitCode: number }> {
  if (view.waitingOnChildren === undefined) return summarize(view, 'ecl send', host.definitions, flags);
  return { lines: await waitingOnChildrenLines(host, view, flags), exitCode: EXIT.notCompleted };
}

/** A parent at rest with its family: each awaited child (and theirs, down to the ones that wait for someone), with what it waits for. */
async function waitingOnChildrenLines(host: EngineHost, view: WorkflowView, flags: string, depth = 0): Promise<string[]> {
  const indent = '  '.repeat(depth);
  const lines = depth === 0 ? [`Running ${view.workflowId} at ${view.state}, which waits on its child workflows:`] : [];
  for (const childId of view.waitingOnChildren ?? []) {
    const child = await host.engine.settled(childId);
    if (child.waitingOnChildren !== undefined) {
      lines.push(`${indent}  ${childId} (${child.definition}) at ${child.state}, which waits on its own:`);
      lines.push(...(await waitingOnChildrenLines(host, child, flags, depth + 1)));
    } else {
      const [first = '', ...rest] = summarize(child, 'ecl send', host.definitions, flags).lines;
      lines.push(`${indent}  ${childId} (${child.definition}): ${first}`, ...rest.map((line) => `${indent}  ${line}`));
    }
  }
  return lines;
}

/**
 * After `ecl send` finished a child workflow: its parent, whose step waited for it, goes on (and
 * its parent in turn, while each one finishes). Without this, the parent stayed running until
 * someone ran it again. Returns the exit code of the last workflow it drove, or undefined when the
 * workflow has no parent or the parent does not move.
 */
export async function driveParents(host: EngineHost, workflowId: string, flags: CommandFlags, print: (line: string) => void): Promise<number | undefined> {
  let code: number | undefined;
  for (let child = workflowId; ;) {
    const childView = await host.engine.get(child);
    if (childView === undefined || !isFinishedStatus(childView.status)) return code;
    const [started] = await host.store.readStream(workflowStream(child), { limit: 1 });
    const parent = (started?.data as { parent?: { workflowId: string } } | undefined)?.parent?.workflowId;
    if (parent === undefined) return code;
    const before = await host.engine.get(parent);
    if (before === undefined || before.status !== 'running') return code;
    await host.claim(parent);
    const view = await host.engine.settled(parent);
    print(`Its parent ${parent} (${view.definition}) goes on:`);
    const summary = await closingLines(host, view, repeatedFlags(flags));
    for (const line of summary.lines) print(`  ${line}`);
    code = summary.exitCode;
    child = parent;
  }
}
