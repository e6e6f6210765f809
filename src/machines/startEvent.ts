import type { JsonValue } from './context.js';
import type { AnyWorkflowDefinition } from './workflowSpec.js';
import type { WorkflowEventOf } from './events.js';

/**
 * The first event of every workflow stream. `input` is the validated (defaulted) input; the
 * policies derived from it are recorded so replay never derives them again.
 */
export function workflowStartedEvent(
  definition: AnyWorkflowDefinition,
  workflowId: string,
  input: JsonValue,
  inputHash: string,
  now: Date,
): WorkflowEventOf<'WorkflowStarted'> {
  return {
    type: 'WorkflowStarted',
    data: { v: 1, workflowId, definition: definition.name, version: definition.version, input, inputHash, policies: definition.resolvePolicies(input, now) },
  };
}
