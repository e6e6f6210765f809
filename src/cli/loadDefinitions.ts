import { loadConfig } from '../config/index.js';
import { type LoadedWorkflowModules, loadWorkflowModules } from '../workflows/index.js';
import type { WorkflowsOptions } from './commonOptions.js';

/** The workflow modules the flags, ECL_WORKFLOWS or ecl.config.json name (flags win), loaded. */
export function loadDefinitions(options: WorkflowsOptions): Promise<LoadedWorkflowModules> {
  const { config } = loadConfig({ flags: { workflows: options.workflows } });
  return loadWorkflowModules(config.workflows ?? []);
}
