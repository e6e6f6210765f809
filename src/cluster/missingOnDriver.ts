import type { ClusterNode } from './createClusterNode.js';

/** The live worker that drives a workflow's partition, with the definitions it published (`ClusterNode.driverOf`). */
export type WorkflowDriver = NonNullable<ReturnType<ClusterNode['driverOf']>>;

/**
 * Why a new workflow of `definition` must not be recorded: the worker that would drive it has not
 * loaded that version, so it would sit unrun. Undefined when it has it, or says nothing of what it has.
 */
export function missingOnDriver(driver: WorkflowDriver | undefined, definition: { name: string; version: number }): string | undefined {
  const has = driver?.definitions;
  if (driver === undefined || has === undefined || has.some(({ name, version }) => name === definition.name && version === definition.version))
    return undefined;
  const listed = has.length === 0 ? 'none' : has.map(({ name, version }) => `${name} v${version}`).join(', ');
  return [
    `${definition.name} v${definition.version} would be driven by worker ${driver.id} (pid ${driver.pid} on ${driver.host}), which does not have it (it has: ${listed}).`,
    `Nothing was recorded. Give that worker the module that defines ${definition.name} (--workflows, ECL_WORKFLOWS or "workflows" in ecl.config.json) and restart it, or stop it to run ${definition.name} elsewhere.`,
  ].join('\n');
}
