export { createEngine } from './createEngine.js';
export type {
  Engine,
  EngineEvent,
  EngineOptions,
  RecoverOptions,
  RecoverResult,
  RetryOptions,
  SendOptions,
  SendResult,
  EngineCommand,
  StartOptions,
  StartResult,
  WorkflowOwnership,
  WorkflowView,
} from './types.js';
export { EngineError, isEngineError, isEngineClosed, isInvalidInput, isUnknownDefinition, isWorkflowConflict, isWorkflowNotFound } from './errors.js';
export type { EngineErrorCode } from './errors.js';
export { parseInput } from './parseInput.js';
export { CallFailedError, JournalError, isCallFailed, isDuplicateCall, isJournalError, isNondeterminism } from './callErrors.js';
export type { JournalErrorCode } from './callErrors.js';
export { ChildFailedError, isChildFailed } from './childWorkflows.js';
export type { ParentLink } from './types.js';
export { loadWorkflow, foldRecords } from './loadWorkflow.js';
export type { LoadedWorkflow } from './loadWorkflow.js';
export { toWorkflowEvent } from './eventRecords.js';
export { foreignTransition } from './publishTransitions.js';
export { findActiveWorkflows } from './findActiveWorkflows.js';
export { inputHashOf } from './inputHash.js';
export { SNAPSHOT_CATEGORY, snapshotStream } from './snapshotStream.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { TerminalError, RetryableError, isTerminalError, isRetryableError } from './retryPolicy.js';
export { notRecoveredWarning } from './notRecoveredWarning.js';
export { COMMAND_ID_PATTERN } from './recordedCommand.js';
