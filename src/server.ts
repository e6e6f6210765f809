/**
 * `ecl-workflows/server`: start what `ecl serve` starts — the engine (recovered), the read models
 * and the HTTP API — from your own program.
 *
 * @packageDocumentation
 */
export { startServer, InsecureBindError, isInsecureBindError } from './api/index.js';
export type { RunningServer, StartServerOptions } from './api/index.js';
export { ConfigError, isConfigError } from './config/index.js';
export type { ConfigErrorCode, ConfigProblem, ConfigSource, EclConfig, EclConfigKey } from './config/index.js';
export { loadWorkflowModules, WorkflowModuleError, isWorkflowModuleError } from './workflows/index.js';
export type { LoadedWorkflowModules, LoadWorkflowModulesOptions, WorkflowModuleErrorCode } from './workflows/index.js';
export { createClusterNode, describeCluster, partitionOf, DEFAULT_LEASE_TTL_MS, DEFAULT_PARTITIONS } from './cluster/index.js';
export type { ClusterNode, ClusterNodeOptions, ClusterNodeSummary, ClusterStatus, WorkerStatus } from './cluster/index.js';
