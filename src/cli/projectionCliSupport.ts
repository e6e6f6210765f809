import { Option, type Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { DEFAULT_STORE_URL } from '../eventstore/index.js';
import { openProjections, type OpenedProjections } from '../projections/index.js';
import { addWorkflowsOption, loadDefinitions, type WorkflowsOptions } from './workflowsOption.js';

/** Options every read-side command takes. */
export interface ReadSideOptions extends WorkflowsOptions {
  store?: string;
  projections?: string;
  json?: boolean;
}

export const addReadSideOptions = (command: Command): Command =>
  addWorkflowsOption(command)
    .addOption(new Option('--store <url>', 'event store URL (memory:, sqlite:<file>, esdb://…)').env('ECL_STORE'))
    .addOption(new Option('--projections <file>', 'read-model SQLite file (default: beside the store)').env('ECL_PROJECTIONS'))
    .option('--json', 'print JSON for machines');

/** The store URL as `ecl run` resolves it: flag, then ECL_STORE / ecl.config.json, then the embedded default. */
export const storeUrlOf = (options: ReadSideOptions): string => loadConfig({ flags: { store: options.store } }).config.store ?? DEFAULT_STORE_URL;

/**
 * Opens the read models of the store, brings them up to date with the log, runs `use`, and closes.
 * A one-shot CLI has no live runner, so it catches up first: what it prints includes every event
 * appended before it started.
 */
export async function withProjections<T>(options: ReadSideOptions, use: (projections: OpenedProjections) => Promise<T> | T, { catchUp = true } = {}): Promise<T> {
  const { registry } = await loadDefinitions(options);
  const projections = await openProjections({
    storeUrl: storeUrlOf(options),
    ...(options.projections === undefined ? {} : { projectionsPath: options.projections }),
    isRegistered: (definition, version) => registry.get(definition, version) !== undefined,
  });
  try {
    if (catchUp) await projections.runner.catchUp();
    return await use(projections);
  } finally {
    await projections.close();
  }
}

export const printJson = (value: unknown): void => {
  console.log(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item), 2));
};

/** A failure the user can act on: message on stderr, non-zero exit, no stack. */
export function fail(message: string, exitCode = 1): void {
  console.error(message);
  process.exitCode = exitCode;
}
