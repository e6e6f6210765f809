/**
 * Which commands resume a workflow left asleep, waiting or mid-step: any engine on its store, and
 * `ecl run --id`, which takes only an id without a tenant prefix (the API's `<tenant>:<id>`).
 */
export function resumeHint(workflowId: string, definition = '…'): string {
  return workflowId.includes(':') ? 'ecl serve or ecl worker' : `ecl serve, ecl worker, or ecl run ${definition} --id ${workflowId}`;
}
