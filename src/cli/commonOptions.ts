import { Option, type Command } from 'commander';

// Only commander here: `ecl --help` and every command's parsing load this, never the engine.

export interface WorkflowsOptions {
  workflows?: string[];
}

/** Options every read-side command takes. */
export interface ReadSideOptions extends WorkflowsOptions {
  store?: string;
  projections?: string;
  json?: boolean;
}

/** The flags of a command that runs workflows here, as the next command needs them too (its hints) and the read models (their store). */
export interface CommandFlags extends ReadSideOptions {
  llm?: string;
  artifacts?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `--workflows <module>`, repeatable: what every command that needs definitions takes. */
export const addWorkflowsOption = (command: Command): Command =>
  command.option(
    '--workflows <module>',
    'workflow module (.js, .mjs or .ts) whose exported definitions are registered; repeatable (default: "workflows" in ecl.config.json, or ECL_WORKFLOWS)',
    collect,
  );

// The ECL_* variables are read by the configuration (src/config), not by commander: then an error
// about a value names where it really came from (the variable, the config file or the flag).

/** `--store <url>`: every command that opens the log. */
export const storeOption = (): Option =>
  new Option('--store <url>', 'event store URL (memory:, sqlite:<file>, postgres://…, kurrentdb://…); default sqlite:./.ecl/ecl.db (env ECL_STORE)');

/** `--llm <spec>`: every command that runs steps. */
export const llmOption = (): Option =>
  new Option('--llm <spec>', 'model: offline, anthropic or script:<file>; default anthropic if ANTHROPIC_API_KEY is set, else offline (env ECL_LLM)');

export const artifactsOption = (): Option => new Option('--artifacts <dir>', 'artifact folder (default ./.ecl/artifacts; env ECL_ARTIFACTS_DIR)');

export const projectionsOption = (): Option => new Option('--projections <file>', 'read-model SQLite file (default: beside the store; env ECL_PROJECTIONS)');

/** The store, model and artifact folder of commands that run workflows in this process. */
export const addEngineOptions = (command: Command): Command =>
  addWorkflowsOption(command).addOption(storeOption()).addOption(llmOption()).addOption(artifactsOption());

export const addReadSideOptions = (command: Command): Command =>
  addWorkflowsOption(command).addOption(storeOption()).addOption(projectionsOption()).option('--json', 'print JSON for machines');
