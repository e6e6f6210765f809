import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { type LoadedWorkflowModules, loadWorkflowModules } from '../workflows/index.js';

export interface WorkflowsOptions {
  workflows?: string[];
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `--workflows <module>`, repeatable: what every command that needs definitions takes. */
export const addWorkflowsOption = (command: Command): Command =>
  command.option('--workflows <module>', 'workflow module (.js, .mjs or .ts) whose exported definitions are registered; repeatable (default: "workflows" in ecl.config.json, or ECL_WORKFLOWS)', collect);

/** The workflow modules the flags, ECL_WORKFLOWS or ecl.config.json name (flags win), loaded. */
export function loadDefinitions(options: WorkflowsOptions): Promise<LoadedWorkflowModules> {
  const { config } = loadConfig({ flags: { workflows: options.workflows } });
  return loadWorkflowModules(config.workflows ?? []);
}
