import { type Engine, type RecoverResult, createEngine } from '../actors/index.js';
import { type ClusterNode, createClusterNode, missingOnDriver } from '../cluster/index.js';
import { createLocalArtifactStore, DEFAULT_ARTIFACT_ROOT } from '../artifacts/index.js';
import { assertUsablePaths, configErrorOf, loadConfig, sourceName } from '../config/index.js';
import { DEFAULT_STORE_URL, type EventStore, isInvalidStoreUrl, openEventStore, sqlitePathOf } from '../eventstore/index.js';
import { createLlmProvider, isLlmError } from '../llm/index.js';
import { createLogger } from '../logging/index.js';
import type { DefinitionRegistry } from '../machines/index.js';
import { loadDefinitions } from './loadDefinitions.js';
import { UsageError } from './usageError.js';

export interface HostOptions {
  store?: string;
  llm?: string;
  artifacts?: string;
  /** Workflow modules (default: the configured ones). */
  workflows?: string[];
  /** Definitions already loaded (then `workflows` is not read). */
  definitions?: DefinitionRegistry;
  /**
   * A daemon (`ecl worker`) logs at the configured level (info by default), as `ecl serve` does;
   * the one-shot commands log only warnings unless a level is configured.
   */
  daemon?: boolean;
  /**
   * On a store that keeps leases (every shipped one): `client` (`ecl run`, `ecl send`: drives only
   * the workflows it `claim`s, and only when no worker is alive) or `worker` (`ecl worker`: a fair
   * share of every workflow). Default `client`.
   */
  role?: 'client' | 'worker';
  /** Wraps the opened store for the engine and the cluster (the worker's probe counts appends); leases stay the store's own. */
  wrapStore?: (store: EventStore) => EventStore;
}

export interface EngineHost {
  engine: Engine;
  store: EventStore;
  definitions: DefinitionRegistry;
  /** Lines for people: which store, which model, where artifacts go. */
  banner: string[];
  /** The cluster membership, on a store that keeps leases. */
  node?: ClusterNode;
  /**
   * Asks to drive this workflow here (a client takes its partition when no worker holds it);
   * resolves at once without a cluster. With `definition`, rejects (a `UsageError`, before anything
   * is recorded) when the worker that would drive it instead does not have that definition.
   */
  claim(workflowId: string, definition?: { name: string; version: number }): Promise<void>;
  /** The line to print when another process (a worker) drives `workflowId`, whose model and step code then run it; else undefined. */
  drivenElsewhere(workflowId: string): string | undefined;
  /** A worker's first recovery (what it resumed); a client recovers only what it claims. */
  recovered?: RecoverResult;
  close(): Promise<void>;
}

/** Opens the store, the model and the artifact folder the flags, env and config name, and an engine on them. */
export async function openEngineHost(options: HostOptions): Promise<EngineHost> {
  const { config, sources } = loadConfig({ flags: { store: options.store, llm: options.llm, artifactsDir: options.artifacts } });
  const logLevel = sources.logLevel.kind === 'default' && options.daemon !== true ? 'warn' : config.logLevel;
  // As `ecl serve` logs: its lines are told apart by `service`, and API keys never show.
  const logger = createLogger({
    level: logLevel,
    format: config.logFormat,
    secrets: config.apiKeys.map((entry) => entry.key),
    defaultMeta: { service: 'ecl' },
  });
  // Modules first: a module that cannot load must leave the store unopened and untouched.
  const definitions = options.definitions ?? (await loadDefinitions(options)).registry;
  const storeUrl = config.store ?? DEFAULT_STORE_URL;
  const artifactsDir = config.artifactsDir ?? DEFAULT_ARTIFACT_ROOT;
  // What a bad setting names is refused here, naming the setting, before anything is opened or written.
  const asStoreProblem = (error: unknown): never => {
    throw isInvalidStoreUrl(error) ? configErrorOf('store', storeUrl.replace(/\/\/[^/@]*@/, '//***@'), sources.store, error) : error;
  };
  let storeFile: string | undefined;
  try {
    storeFile = /^sqlite:/i.test(storeUrl) ? sqlitePathOf(storeUrl) : undefined;
  } catch (error) {
    asStoreProblem(error);
  }
  assertUsablePaths([
    ...(storeFile === undefined ? [] : [{ key: 'store', path: storeFile, kind: 'file' as const, source: sources.store }]),
    { key: 'artifactsDir', path: artifactsDir, kind: 'folder', source: sources.artifactsDir },
  ]);
  let selected: ReturnType<typeof createLlmProvider>;
  try {
    selected = createLlmProvider(config.llm, { logger, specFrom: sourceName(sources.llm) });
  } catch (error) {
    if (isLlmError(error) && error.code === 'CONFIG' && config.llm !== undefined) throw configErrorOf('llm', config.llm, sources.llm, error);
    throw error;
  }
  const { provider, description } = selected;
  const opened = await openEventStore(storeUrl, { logger }).catch(asStoreProblem);
  const store = options.wrapStore?.(opened) ?? opened;
  const artifacts = createLocalArtifactStore(artifactsDir);
  const role = options.role ?? 'client';
  let node: ClusterNode | undefined;
  try {
    node =
      opened.leases === undefined
        ? undefined
        : await createClusterNode({
            store,
            leases: opened.leases,
            logger,
            role,
            definitions,
            ttlMs: config.leaseTtlMs,
            ...(config.workerId === undefined ? {} : { id: config.workerId }),
          });
  } catch (error) {
    await store.close();
    throw error;
  }
  const engine = createEngine({ store, llm: provider, artifacts, logger, definitions, ...(node === undefined ? {} : { ownership: node.ownership }) });
  let recovered: RecoverResult | undefined;
  if (node !== undefined) {
    const started = await node.start(engine);
    if (role === 'worker') recovered = started;
  } else if (role === 'worker') recovered = await engine.recover();
  return {
    engine,
    store,
    definitions,
    ...(node === undefined ? {} : { node }),
    ...(recovered === undefined ? {} : { recovered }),
    banner: [`Store: ${store.description}`, description, `Artifacts: ${artifacts.description}`],
    async claim(workflowId, definition) {
      if (node === undefined) return;
      await node.claim(workflowId);
      const missing = definition === undefined ? undefined : missingOnDriver(node.driverOf(workflowId), definition);
      if (missing !== undefined) throw new UsageError(missing);
    },
    drivenElsewhere(workflowId) {
      const driver = node?.driverOf(workflowId);
      return driver === undefined
        ? undefined
        : `Driven by worker ${driver.id} (pid ${driver.pid} on ${driver.host}): its model and step code run ${workflowId}, not this command's (--llm, --workflows)`;
    },
    async close() {
      await engine.close();
      await node?.close();
      await store.close();
    },
  };
}
