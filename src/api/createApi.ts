import type { Logger } from 'winston';
import type { Engine } from '../actors/index.js';
import type { WorkflowDriver } from '../cluster/index.js';
import type { EclConfig } from '../config/index.js';
import type { EventStore } from '../eventstore/index.js';
import type { LlmPolicyStats } from '../llm/index.js';
import type { DefinitionRegistry } from '../machines/index.js';
import type { AppendStats } from './countAppends.js';
import { createApp, type ApiApp } from './createApp.js';
import { createEngineRuntime } from './engineRuntime.js';
import { createQueriesPort, type ProjectionsForApi } from './projectionPorts.js';

export interface CreateApiOptions {
  engine: Engine;
  definitions: DefinitionRegistry;
  /** The store the engine writes; SSE streams read it. */
  store: EventStore;
  projections: ProjectionsForApi;
  config?: Partial<EclConfig>;
  logger?: Logger;
  llm?: { name: string; stats?: () => LlmPolicyStats };
  appendStats?: () => AppendStats;
  /** In a cluster: the worker that drives a workflow's partition (`ClusterNode.driverOf`); a start it could not run is refused. */
  driverOf?: (workflowId: string) => WorkflowDriver | undefined;
}

/** The v1 HTTP API over a running engine and its projections (see docs/api.md). */
export function createApi(options: CreateApiOptions): ApiApp {
  return createApp({
    runtime: createEngineRuntime({
      engine: options.engine,
      definitions: options.definitions,
      store: options.store,
      ...(options.llm === undefined ? {} : { llm: options.llm }),
      ...(options.driverOf === undefined ? {} : { driverOf: options.driverOf }),
    }),
    queries: createQueriesPort(options.projections),
    store: options.store,
    definitions: options.definitions,
    ...(options.appendStats === undefined ? {} : { appendStats: options.appendStats }),
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
