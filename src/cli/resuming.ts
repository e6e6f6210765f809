import { UsageError } from './usageError.js';

interface Existing {
  workflowId: string;
  definition: string;
  version: number;
  status: string;
  revision: number;
}

/**
 * What `ecl run` says when its --id names a workflow already there: finished, or resuming at
 * `state`; and, when `--definition-version` asked for another version, that it keeps its own.
 */
export function resumingLine(existing: Existing, state: string, askedVersion?: number): string {
  const finished = existing.status === 'completed' || existing.status === 'failed' || existing.status === 'cancelled';
  // A failed or cancelled workflow stays so: running it again takes a new id.
  const again = existing.status === 'completed' ? '' : '; to run it again, give a new --id';
  const line = finished
    ? `Already ${existing.status}: ${existing.definition} v${existing.version} (revision ${existing.revision})${again}`
    : `Resuming ${existing.definition} v${existing.version} at ${state} (revision ${existing.revision})`;
  return askedVersion === undefined || askedVersion === existing.version
    ? line
    : `${line}; not v${askedVersion}: a workflow keeps the version that started it (--definition-version applies to new ids)`;
}

/** Refuses to resume, with no input given, a workflow of another definition than the one named. */
export function assertSameDefinition(existing: Existing, definition: string): void {
  if (existing.definition !== definition) throw new UsageError(`Workflow ${existing.workflowId} is a ${existing.definition} workflow, not ${definition}`);
}
