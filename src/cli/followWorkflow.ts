import type { Subscription } from 'rxjs';
import type { Engine, WorkflowView } from '../actors/index.js';
import { formatTransition } from './formatTransition.js';
import { EXIT } from './usageError.js';

/** Prints each transition of one workflow as it is recorded (until stopped). */
export function printTransitions(engine: Engine, workflowId: string, print: (line: string) => void): Subscription {
  return engine.subscribe(workflowId).subscribe((event) => {
    if (event.kind !== 'transition') return;
    const text = formatTransition(event);
    if (text !== undefined) print(text);
  });
}

/** The closing lines for a settled workflow, and the exit code it means. */
export function summarize(view: WorkflowView, followHint: string): { lines: string[]; exitCode: number } {
  const usage = view.usage;
  const spent = `${(usage.inputTokens + usage.outputTokens).toLocaleString('en-US')} tokens, $${usage.costUsd.toFixed(4)}`;
  const artifact = view.status === 'completed' ? (view.output as { path?: unknown } | null)?.path : undefined;
  switch (view.status) {
    case 'completed':
      return { lines: [`Completed ${view.workflowId} (${spent})`, ...(typeof artifact === 'string' ? [`Artifact: ${artifact}`] : [])], exitCode: EXIT.ok };
    case 'waiting':
      return {
        lines: [
          `Waiting for a person at ${view.state} (${view.waitingFor?.kind ?? 'input'}): ${view.accepts.join(', ')}`,
          `  e.g. ${followHint} ${view.workflowId} APPROVE`,
        ],
        exitCode: EXIT.notCompleted,
      };
    case 'failed':
      return { lines: [`Failed ${view.workflowId}: ${view.reason ?? 'unknown reason'}`], exitCode: EXIT.notCompleted };
    case 'cancelled':
      return { lines: [`Cancelled ${view.workflowId}: ${view.reason ?? ''}`.trimEnd()], exitCode: EXIT.notCompleted };
    default:
      return { lines: [`Stopped ${view.workflowId} at ${view.state}; run it again with --id ${view.workflowId} to resume`], exitCode: EXIT.notCompleted };
  }
}
