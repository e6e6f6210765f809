import type { RecoverResult } from './types.js';

/**
 * The banner's line for the workflows a recovery left because their definition version is not
 * registered here (`ecl serve`, `ecl worker`); undefined when there are none.
 */
export function notRecoveredWarning(blocked: RecoverResult['blocked']): string | undefined {
  if (blocked === undefined || blocked.length === 0) return undefined;
  const versions = [...new Set(blocked.map((workflow) => `${workflow.definition} v${workflow.version}`))];
  return `Warning: ${blocked.length} workflow(s) not recovered: ${versions.join(', ')} not registered (see the log; they wait for a process that loads that version)`;
}
