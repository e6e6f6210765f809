export { createProjectionRunner, WORKFLOW_FILTER } from './projectionRunner.js';
export type { BatchResult, CatchUpOptions, CatchUpProgress, Lag, ProjectionRunner, ProjectionRunnerOptions, ReadModelRunner } from './projectionRunner.js';
export { openProjectionDatabase, openProjectionReader, projectionDatabasePathFor } from './projectionDatabase.js';
export type { ProjectionDatabase } from './projectionDatabase.js';
export { createProjectionQueries } from './projectionQueries.js';
export type { ReadModelSql } from './readModelSql.js';
export type { ListWorkflowsOptions, ProjectionQueries, ProjectionQueriesOptions, WorkflowPage } from './projectionQueries.js';
export { WORKFLOW_STATUSES, blockedReason } from './statusQueries.js';
export type { IsRegistered, WorkflowStatusRow, WorkflowStatusValue } from './statusQueries.js';
export type { AuditEntry } from './auditEntry.js';
export type { DurationSummary, MetricsSummary, MetricsSummaryOptions, UsageTotals } from './metricsQueries.js';
export type { ReadModel, ReadModelApplier } from './readModel.js';
export { DEFAULT_READ_MODELS } from './readModels.js';
export { auditReadModel } from './auditReadModel.js';
export { metricsReadModel } from './metricsReadModel.js';
export { statusReadModel } from './statusReadModel.js';
export { decodeEvent } from './decodeEvent.js';
export { statusOfEvents, statusOfStream } from './streamStatus.js';
export type { StreamStatusOptions } from './streamStatus.js';
export type { DecodedEvent, DecodeResult, SkipReason } from './decodeEvent.js';
export type { SkipCount } from './checkpointStore.js';
// The upcasters live with the event schemas (src/machines), shared by the engine, replay and the projections.
export { DEFAULT_UPCASTERS, createUpcasterRegistry, defaultUpcasterRegistry, payloadVersionOf } from '../machines/index.js';
export type { PayloadUpcaster, UpcastResult, UpcasterRegistry } from '../machines/index.js';
export {
  ProjectionError,
  isDefinitionNotRegistered,
  isHistoryNotFound,
  isProjectionError,
  isInvalidHistory,
  isProjectionStopped,
  isProjectionTimeout,
} from './errors.js';
export type { ProjectionErrorCode } from './errors.js';
export { ignoredProjectionsPath, isPostgresUrl, openProjections } from './openProjections.js';
export type { OpenProjectionsOptions, OpenedProjections } from './openProjections.js';
export { openProjectionsInWorker } from './openProjectionsInWorker.js';
export type { LiveProjections, OpenProjectionsInWorkerOptions } from './openProjectionsInWorker.js';
export { formatAuditTimeline, familySummaryLines } from './formatAudit.js';
export { auditUsage } from './auditUsage.js';
export type { AuditUsage, DescendantUsage } from './auditUsage.js';
