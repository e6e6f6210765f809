import { loadConfig } from '../config/index.js';
import { DEFAULT_STORE_URL, type EventStore } from '../eventstore/index.js';
import { auditUsage, familySummaryLines, ignoredProjectionsPath, openProjections, type OpenedProjections } from '../projections/index.js';
import type { ReadSideOptions } from './commonOptions.js';
import { loadDefinitions } from './loadDefinitions.js';

/** The store URL as `ecl run` resolves it: flag, then ECL_STORE / ecl.config.json, then the embedded default. */
export const storeUrlOf = (options: { store?: string }): string => loadConfig({ flags: { store: options.store } }).config.store ?? DEFAULT_STORE_URL;

/** The read-model file: flag, then ECL_PROJECTIONS / ecl.config.json; undefined = beside the store (unused on PostgreSQL). */
const projectionsPathOf = (options: { projections?: string }): string | undefined =>
  loadConfig({ flags: { projections: options.projections } }).config.projections;

/**
 * Opens the read models of the store, brings them up to date with the log, runs `use`, and closes.
 * A one-shot CLI has no live runner, so it catches up first: what it prints includes every event
 * appended before it started. With `store`, reads that open store (its URL still names the read models).
 */
export async function withProjections<T>(
  options: ReadSideOptions,
  use: (projections: OpenedProjections, loaded: { definitions: number }) => Promise<T> | T,
  { catchUp = true, store }: { catchUp?: boolean; store?: EventStore } = {},
): Promise<T> {
  const { registry } = await loadDefinitions(options);
  const projectionsPath = projectionsPathOf(options);
  const storeUrl = storeUrlOf(options);
  const ignored = ignoredProjectionsPath(storeUrl, projectionsPath);
  if (ignored !== undefined) process.stderr.write(`warning: ${ignored}\n`);
  const projections = await openProjections({
    storeUrl,
    ...(store === undefined ? {} : { store }),
    ...(projectionsPath === undefined ? {} : { projectionsPath }),
    // Blocked means "no definition this command loaded can run it": with none loaded, it cannot say.
    ...(registry.names().length === 0 ? {} : { isRegistered: (definition: string, version: number) => registry.get(definition, version) !== undefined }),
  });
  try {
    if (catchUp) await projections.runner.catchUp();
    return await use(projections, { definitions: registry.names().length });
  } finally {
    await projections.close();
  }
}

/** A run's closing lines about the workflow's child workflows, counted as `ecl audit` counts them (so the totals agree). */
export const familyLines = (options: ReadSideOptions, store: EventStore, workflowId: string): Promise<string[]> =>
  withProjections(
    options,
    async ({ queries }) => familySummaryLines(workflowId, auditUsage(await queries.getAudit(workflowId)), await queries.getDescendants(workflowId)),
    { store },
  );
