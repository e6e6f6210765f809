export { createClusterNode, DEFAULT_LEASE_TTL_MS } from './createClusterNode.js';
export type { ClusterNode, ClusterNodeOptions, ClusterNodeSummary } from './createClusterNode.js';
export { describeCluster } from './describeCluster.js';
export { missingOnDriver } from './missingOnDriver.js';
export type { WorkflowDriver } from './missingOnDriver.js';
export type { ClusterStatus, WorkerStatus } from './describeCluster.js';
export { DEFAULT_PARTITIONS, partitionOf } from './partitionOf.js';
export { planLeases } from './planLeases.js';
export type { LeasePlan, LeasePlanInput } from './planLeases.js';
