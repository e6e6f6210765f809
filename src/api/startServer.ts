import type { IncomingMessage, ServerResponse } from 'node:http';
import { relative } from 'node:path';
import type { Logger } from 'winston';
import { createEngine, notRecoveredWarning, type Engine } from '../actors/index.js';
import { createClusterNode, type ClusterNode, type ClusterNodeSummary } from '../cluster/index.js';
import { createLocalArtifactStore, DEFAULT_ARTIFACT_ROOT, type ArtifactStore } from '../artifacts/index.js';
import {
  assertUsablePaths,
  configErrorOf,
  loadConfig,
  sourceName,
  type ConfiguredPath,
  type EclConfig,
  type EclConfigKey,
  type LoadedConfig,
} from '../config/index.js';
import { DEFAULT_STORE_URL, isInvalidStoreUrl, openEventStore, sqlitePathOf, type EventStore } from '../eventstore/index.js';
import { createInspection, type Inspection } from '../inspect/index.js';
import { createLlmProvider, isLlmError, type LlmProvider, type SelectedLlmProvider } from '../llm/index.js';
import { createLogger } from '../logging/index.js';
import type { DefinitionRegistry } from '../machines/index.js';
import {
  ignoredProjectionsPath,
  isPostgresUrl,
  openProjections,
  openProjectionsInWorker,
  projectionDatabasePathFor,
  type LiveProjections,
} from '../projections/index.js';
import { loadWorkflowModules, watchWorkflowModules } from '../workflows/index.js';
import { assertSafeBind } from './bindGuard.js';
import { countAppends } from './countAppends.js';
import { createApi } from './createApi.js';
import type { ApiApp } from './createApp.js';
import { ApiError } from './errors.js';
import { assertCanListen, listenApi } from './listenApi.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem.js';

/**
 * Options of {@link startServer}. Everything else comes from the configuration: defaults <
 * `ecl.config.json` < `ECL_*` variables < `flags` (keys as in `ecl.config.json`: `store`, `llm`,
 * `workflows`, `host`, `port`, `apiKeys`, …; see docs/api.md).
 */
export interface StartServerOptions {
  /** Configuration values that win over env and file, by config key (e.g. `{ port: 0, store: 'memory:' }`). */
  flags?: Partial<Record<EclConfigKey, unknown>>;
  /**
   * Read for the `ECL_*` configuration variables; defaults to `process.env`. The Anthropic
   * provider, when chosen, still reads `ANTHROPIC_API_KEY` from `process.env`.
   */
  env?: Record<string, string | undefined>;
  /**
   * Where `ecl.config.json` is looked for and relative workflow module paths start; defaults to
   * `process.cwd()`. Relative store, artifact and read-model paths start at `process.cwd()`.
   */
  cwd?: string;
  /** Start the Stately inspector relay on `inspectPort`. */
  inspect?: boolean;
  /** Reload the configured workflow modules when their files change (see `watchWorkflowModules`). */
  watch?: boolean;
  /**
   * Parts to use instead of opening them from the configuration (tests, embedding). A SQLite or
   * memory store keeps its read models beside it, as its URL would; for another store, name the
   * read models' file with the `projections` flag (default `.ecl/ecl.projections.db`).
   */
  store?: EventStore;
  /**
   * A model provider instead of the configured `llm`: the one you give `createEngine` (the banner
   * then says `LLM: <its name>`), or what `createLlmProvider('offline')` returns.
   */
  llm?: LlmProvider | SelectedLlmProvider;
  /** Instead of a local folder at `artifactsDir` (default `./.ecl/artifacts`). */
  artifacts?: ArtifactStore;
  /** Definitions to serve instead of the configured `workflows` modules. */
  definitions?: DefinitionRegistry;
  /** Instead of a logger built from `logLevel`/`logFormat` (which redacts the API keys). */
  logger?: Logger;
  /**
   * `false`: do not listen; mount {@link RunningServer.handle} in your own HTTP server instead
   * (`host` and `port` are then unused, and so is the refusal of an open API on a non-loopback
   * host: your server decides where it listens). Default `true`.
   */
  listen?: boolean;
}

/** A started server; call `close()` to stop it. */
export interface RunningServer {
  /** The base URL it listens on, e.g. `http://127.0.0.1:3000` (the real port when `port` was 0); `''` with `listen: false`. */
  url: string;
  /** The configuration it runs with. */
  config: EclConfig;
  /** Lines for people: where it listens, which store, which model. */
  banner: string[];
  /** The recovered engine the API drives: start and send in-process through it. */
  engine: Engine;
  /** The event store, as the engine and the API use it. */
  store: EventStore;
  /** The read models behind the API's queries (status, audit, metrics), kept up to date. */
  projections: LiveProjections;
  /** The API: `api.app` is its Fastify instance (e.g. `api.app.inject` in tests). */
  api: ApiApp;
  /**
   * The API as a Node request handler, for a server of your own (`listen: false`):
   * `http.createServer(ecl.handle)`, or a framework's raw handler for the paths `/v1/*`,
   * `/openapi.json`, `/healthz`, `/metrics` and the console's (`/`, `/console/*`), mounted at the
   * root. It answers every request it is given, reading its body: give it requests whose body no
   * middleware has read.
   */
  handle: (request: IncomingMessage, response: ServerResponse) => void;
  /** The Stately inspector relay, with `inspect: true`. */
  inspection?: Inspection;
  /**
   * Graceful: refuse new commands, close the engine (steps in flight are aborted and left to
   * recovery, appends in flight finish), the API, the inspector and the read models, and the store
   * if it opened it. Past `shutdownTimeoutMs` it cuts open connections and rejects with an `Error`.
   * Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * `ecl serve`: the runtime (recovered), the projections and the HTTP API in one process. Loads the
 * configuration, opens what `options` does not give (store, model, artifacts, workflow modules,
 * logger), catches the read models up, calls `engine.recover()` (steps interrupted by a crash run
 * again as new attempts), then listens.
 *
 * Throws, after closing whatever it opened: `ConfigError` (invalid configuration; `code`
 * `INVALID_CONFIG` or `CONFIG_FILE_UNREADABLE`), `InsecureBindError` (`code` `INSECURE_BIND`: a
 * non-loopback host without API keys), `WorkflowModuleError` (a workflow module cannot be used),
 * `EventStoreError` (the store cannot be opened), `LlmError` `CONFIG` (a bad model spec), or the
 * listen error (e.g. `EADDRINUSE`).
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const loaded = loadConfig({
    flags: options.flags ?? {},
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const { config, sources } = loaded;
  // Refused before anything opens; a server that does not listen binds nothing (its host decides).
  if (options.listen !== false) {
    assertSafeBind(config.host, config.apiKeys.length > 0);
    // A port in use is refused before this process joins the workers on the store or resumes a step.
    await assertCanListen(config.host, config.port);
  }
  const storeUrl = config.store ?? urlOfPassedStore(options.store) ?? DEFAULT_STORE_URL;
  assertUsablePaths(pathsToWrite(loaded, storeUrl, options));
  const logger =
    options.logger ??
    createLogger({ level: config.logLevel, format: config.logFormat, secrets: config.apiKeys.map((entry) => entry.key), defaultMeta: { service: 'ecl' } });
  const rawStore =
    options.store ??
    (await openEventStore(storeUrl, { logger }).catch((error: unknown) => {
      throw isInvalidStoreUrl(error) ? configErrorOf('store', redactUrl(storeUrl), sources.store, error) : error;
    }));
  let projectionsOf: LiveProjections | undefined;
  const counted = countAppends(rawStore, () => projectionsOf?.committed?.());
  // GET /v1/workers reads the lease table through the store the API is given.
  if (rawStore.leases !== undefined) Object.assign(counted.store, { leases: rawStore.leases });
  const cleanup: Array<() => Promise<void>> = [];
  try {
    if (options.store === undefined) cleanup.push(() => rawStore.close());
    const llm = options.llm === undefined ? createLlmProviderOf(loaded, logger, options.env) : selectedOf(options.llm);
    const artifacts = options.artifacts ?? createLocalArtifactStore(config.artifactsDir ?? DEFAULT_ARTIFACT_ROOT);
    const modules = config.workflows ?? [];
    const watched = options.definitions === undefined && options.watch === true ? await watchWorkflowModules(modules, { logger }) : undefined;
    if (watched !== undefined) cleanup.unshift(async () => watched.close());
    const definitions = options.definitions ?? watched?.registry ?? (await loadWorkflowModules(modules)).registry;
    // On a store that keeps leases (memory, SQLite, PostgreSQL, KurrentDB: all that openEventStore opens; a store
    // passed in may not) this process is one worker of those sharing it (docs/scaling.md).
    let url = '';
    const node: ClusterNode | undefined =
      rawStore.leases === undefined
        ? undefined
        : await createClusterNode({
            store: counted.store,
            leases: rawStore.leases,
            logger,
            ttlMs: config.leaseTtlMs,
            ...(config.workerId === undefined ? {} : { id: config.workerId }),
            info: () => ({ url }),
            definitions,
          });
    if (node !== undefined) cleanup.unshift(() => node.close());
    const engine = createEngine({
      store: counted.store,
      llm: llm.provider,
      artifacts,
      logger,
      definitions,
      ...(node === undefined ? {} : { ownership: node.ownership }),
    });
    cleanup.unshift(() => engine.close());
    const ignoredPath = ignoredProjectionsPath(storeUrl, config.projections);
    if (ignoredPath !== undefined) logger.warn(ignoredPath);
    const projectionOptions = {
      storeUrl,
      store: rawStore,
      ...(config.projections === undefined ? {} : { projectionsPath: config.projections }),
      isRegistered: (definition: string, version: number) => definitions.get(definition, version) !== undefined,
      logger,
    };
    // On SQLite the runner gets its own thread (and core) with its own connection; other stores keep it
    // here (on PostgreSQL the read models are tables of the store's schema, shared by every node).
    const projections =
      options.store === undefined && /^sqlite:/i.test(storeUrl) ? await openProjectionsInWorker(projectionOptions) : await openProjections(projectionOptions);
    projectionsOf = projections;
    cleanup.unshift(() => projections.close());
    await projections.runner.catchUp();
    projections.runner.start();

    const inspection = options.inspect === true ? await createInspection({ store: rawStore, definitions, port: config.inspectPort, logger }) : undefined;
    if (inspection !== undefined) cleanup.unshift(() => inspection.close());

    const recovered = node === undefined ? await engine.recover() : await node.start(engine);
    const notRecovered = notRecoveredWarning(recovered.blocked);
    const api = createApi({
      engine,
      definitions,
      store: counted.store,
      projections,
      config,
      logger,
      llm: { name: llm.provider.name, ...(llm.stats === undefined ? {} : { stats: llm.stats }) },
      appendStats: counted.stats,
      ...(node === undefined ? {} : { driverOf: (workflowId: string) => node.driverOf(workflowId) }),
    });
    // From here on (recovery's appends are in the counters, not the histograms).
    counted.observe(api.context.metrics.observeAppend);
    const listening = options.listen !== false;
    if (listening) url = await listenApi(api);
    else await api.app.ready();
    const keys = config.apiKeys;
    const banner = [
      listening ? `ECL API listening on ${url}` : 'ECL API ready, not listening: mount its handle in your own server',
      `Store: ${rawStore.description}`,
      llm.description,
      `Artifacts: ${artifacts.description}`,
      `Projections: ${projections.path}`,
      ...(ignoredPath === undefined ? [] : [`Warning: ${ignoredPath}`]),
      keys.length === 0
        ? 'Auth: open single-tenant mode (no API keys; loopback only)'
        : `Auth: ${keys.length} API key(s), tenants ${[...new Set(keys.map((k) => k.tenant))].join(', ')}`,
      `Recovered: ${recovered.resumed.length} resumed, ${recovered.waiting} waiting for a person or a signal`,
      ...(node === undefined ? [] : [clusterLine(node.summary())]),
      ...(notRecovered === undefined ? [] : [notRecovered]),
      // Definitions given in code came from no module.
      definitionsLine(definitions, options.definitions === undefined ? modules : [], watched !== undefined),
      ...(inspection === undefined ? [] : [`Stately inspector: open ${inspection.relay.url}`]),
      ...(listening
        ? ['', 'Try it from another terminal:', ...tryLines(definitions, url, keys.length > 0, sources.workflows?.kind === 'flag' ? modules : [])]
        : []),
    ];
    logger.info('ecl serve started', { url, store: rawStore.description, llm: llm.provider.name });

    let closing: Promise<void> | undefined;
    return {
      url,
      config,
      banner,
      engine,
      store: counted.store,
      projections,
      api,
      handle: (request, response) => {
        if (closing === undefined) return api.app.routing(request, response);
        // Fastify's own answer once closed is not a problem document.
        const problem = new ApiError('SHUTTING_DOWN', 'The server is shutting down; retry against another instance or later');
        response.writeHead(problem.status, { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': '1' }).end(JSON.stringify(problemBody(problem, request.url)));
      },
      ...(inspection === undefined ? {} : { inspection }),
      close: () =>
        (closing ??= closeWithin(config.shutdownTimeoutMs, logger, api, async () => {
          api.context.accepting = false;
          await engine.close();
          await node?.close();
          await api.app.close();
          await inspection?.close();
          await projections.close();
          watched?.close();
          if (options.store === undefined) await rawStore.close();
          logger.info('ecl serve stopped');
        })),
    };
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw error;
  }
}

/** Which worker this is and what it holds; the others take a share as they join (docs/scaling.md). */
const clusterLine = (summary: ClusterNodeSummary): string =>
  `Worker: ${summary.id}, ${summary.held.length} of ${summary.partitions} partitions (ecl workers lists the others)`;

// Credentials in a store URL's user-info never reach an error message.
const redactUrl = (url: string): string => url.replace(/\/\/[^/@]*@/, '//***@');

/** A provider as `createEngine` takes it, or as `createLlmProvider` returns it, with its line for the banner. */
const selectedOf = (llm: LlmProvider | SelectedLlmProvider): SelectedLlmProvider =>
  'complete' in llm ? { provider: llm, description: `LLM: ${llm.name}` } : llm;

/** A store passed in is the store: its read models go beside it (SQLite) or in memory, not beside the default store's. */
function urlOfPassedStore(store: EventStore | undefined): string | undefined {
  const description = store?.description ?? '';
  return /^sqlite:/i.test(description) ? description : /^memory:?$/i.test(description) ? 'memory:' : undefined;
}

/**
 * The folders and files `ecl serve` will write, checked before anything is opened, so a path that
 * cannot be created is refused at start (exit 2, naming the key) rather than failing later.
 */
function pathsToWrite(loaded: LoadedConfig, storeUrl: string, options: StartServerOptions): ConfiguredPath[] {
  const { config, sources } = loaded;
  const paths: ConfiguredPath[] = [];
  if (options.artifacts === undefined)
    paths.push({ key: 'artifactsDir', path: config.artifactsDir ?? DEFAULT_ARTIFACT_ROOT, kind: 'folder', source: sources.artifactsDir });
  // A postgres:// store keeps its read models in its own schema: no file to check.
  if (isPostgresUrl(storeUrl)) return paths;
  let projections: string;
  try {
    if (options.store === undefined && /^sqlite:/i.test(storeUrl))
      paths.push({ key: 'store', path: sqlitePathOf(storeUrl), kind: 'file', source: sources.store });
    projections = projectionDatabasePathFor(storeUrl, config.projections);
  } catch (error) {
    throw configErrorOf('store', redactUrl(storeUrl), sources.store, error as Error);
  }
  // By default the read models sit beside a SQLite store, which is checked above.
  if (projections !== ':memory:' && (config.projections !== undefined || !/^sqlite:/i.test(storeUrl)))
    paths.push({ key: 'projections', path: projections, kind: 'file', source: sources.projections });
  return paths;
}

function createLlmProviderOf({ config, sources }: LoadedConfig, logger: Logger, env: Record<string, string | undefined> | undefined): SelectedLlmProvider {
  try {
    return createLlmProvider(config.llm, { logger, ...(env === undefined ? {} : { env }), specFrom: sourceName(sources.llm) });
  } catch (error) {
    if (isLlmError(error) && error.code === 'CONFIG' && config.llm !== undefined) throw configErrorOf('llm', config.llm, sources.llm, error);
    throw error;
  }
}

function definitionsLine(definitions: DefinitionRegistry, modules: readonly string[], watching: boolean): string {
  const names = definitions.names().map((name) => `${name} (v${definitions.versions(name).join(', v')})`);
  if (names.length === 0) return 'Workflows: none registered — pass --workflows <module> or set "workflows" in ecl.config.json';
  return `Workflows: ${names.join(', ')}${modules.length === 0 ? '' : ` from ${modules.length} module(s)`}${watching ? ', reloaded on change' : ''}`;
}

/** `flagModules`: the modules given with --workflows, which `ecl definitions` (local only) needs again. */
function tryLines(definitions: DefinitionRegistry, url: string, keyed: boolean, flagModules: readonly string[]): string[] {
  const key = keyed ? 'ECL_API_KEY=<key> ' : '';
  const name = definitions.names()[0] ?? '<definition>';
  const workflows = flagModules.map((module) => ` --workflows ${relative(process.cwd(), module) || module}`).join('');
  return [
    `  npx ecl definitions${workflows.padEnd(17)}  # names, steps and input schemas`,
    `  ${key}npx ecl run ${name} --input '<json>' --follow --server ${url}`,
    `  curl ${keyed ? "-H 'Authorization: Bearer <key>' " : ''}${url}/v1/workflows`,
  ];
}

/** Runs the graceful close; past the grace period, cuts open connections and reports the overrun. */
async function closeWithin(timeoutMs: number, logger: Logger, api: ApiApp, graceful: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      logger.warn('graceful shutdown took too long: closing connections', { timeoutMs });
      api.app.server.closeAllConnections();
      reject(new Error(`Shutdown did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([graceful(), overrun]);
  } finally {
    clearTimeout(timer);
  }
}
