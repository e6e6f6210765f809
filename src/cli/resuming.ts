import { UsageError } from './usageError.js';

interface Existing {
  workflowId: string;
  definition: string;
  version: number;
  status: string;
  revision: number;
}

/** What `ecl run` says when its --id names a workflow already there: finished, or resuming at `state`. */
export function resumingLine(existing: Existing, state: string): string {
  const finished = existing.status === 'completed' || existing.status === 'failed' || existing.status === 'cancelled';
  return finished
    ? `Already ${existing.status}: ${existing.definition} v${existing.version} (revision ${existing.revision})`
    : `Resuming ${existing.definition} v${existing.version} at ${state} (revision ${existing.revision})`;
}

/** Refuses to resume, with no input given, a workflow of another definition than the one named. */
export function assertSameDefinition(existing: Existing, definition: string): void {
  if (existing.definition !== definition) throw new UsageError(`Workflow ${existing.workflowId} is a ${existing.definition} workflow, not ${definition}`);
}
