import type { WorkflowView } from '../actors/index.js';
import type { EngineHost } from './openEngineHost.js';
import { resumeHint } from './resumeHint.js';
import { EXIT } from './usageError.js';

/** What stopping leaves behind, by where the workflow is: a step in flight re-runs; a sleep or a wait loses nothing. */
export function stoppingLine(workflowId: string | undefined, view: WorkflowView | undefined): string {
  const resume = workflowId === undefined ? '' : ` (${resumeHint(workflowId)})`;
  if (view !== undefined && view.state.endsWith('.running'))
    return `Stopping: the step in flight (${view.step ?? view.state}) is left without outcome and re-runs on resume${resume}.`;
  if (view !== undefined && view.wakeAt !== undefined)
    return `Stopping: nothing was in flight; ${view.workflowId} wakes at ${view.wakeAt} in whichever engine runs it then (${resumeHint(view.workflowId)}).`;
  if (view !== undefined && view.status !== 'running') return `Stopping: nothing was in flight; ${view.workflowId} is ${view.state}.`;
  return `Stopping: the step in flight, if any, is left without outcome and re-runs on resume${resume}.`;
}

/**
 * Runs `work` with the host open; Ctrl-C or SIGTERM closes it gracefully (calls in flight are
 * aborted and stay recoverable) and says how to resume. Always closes the host.
 */
export async function withShutdown(host: EngineHost, workflowId: string | undefined, work: () => Promise<number>): Promise<number> {
  let interrupted = false;
  const stop = () => {
    if (interrupted) return;
    interrupted = true;
    const view = workflowId === undefined ? Promise.resolve(undefined) : host.engine.get(workflowId).catch(() => undefined);
    // Driven by a worker, nothing of it is in flight here: it goes on there.
    const elsewhere = workflowId === undefined ? undefined : host.drivenElsewhere(workflowId);
    void view
      .then((found) =>
        console.error(`\n${elsewhere === undefined ? stoppingLine(workflowId, found) : `Stopping: ${workflowId} goes on in the worker that drives it.`}`),
      )
      .then(() => host.close())
      .then(() => process.exit(EXIT.interrupted));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await work();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (!interrupted) await host.close();
  }
}
