/**
 * ECL: durable, bounded, auditable AI workflows.
 *
 * The package root is what a workflow author and an embedding application need: define workflows,
 * run them on an engine over an event store, call models through a provider, and tell errors
 * apart by their guards. The HTTP server is in `ecl-workflows/server`; test helpers are in
 * `ecl-workflows/testing`. Every export is described in docs/reference.md.
 *
 * Durability in one paragraph: each step attempt is recorded (`StepStarted`) before its `run`
 * is called and its outcome after, and inside it every journaled call (`ctx.complete`,
 * `ctx.run`) records its own outcome (`CallCompleted`) before the step goes on. An attempt
 * interrupted by a crash or a shutdown runs again from its start, but every call whose outcome was
 * recorded returns it without running again; a recorded outcome is never run again. `StepRun` and
 * `StepContext.run` say exactly what runs more than once.
 *
 * @packageDocumentation
 */

// Defining workflows
export { defineWorkflow } from './machines/index.js';
export type {
  AnyWorkflowDefinition,
  StartInput,
  ApprovalStepSpec,
  InputLoader,
  InputLoaderContext,
  ProduceStepSpec,
  StepSpec,
  ValidateStepSpec,
  SleepStepSpec,
  SignalStepSpec,
  SignalCommand,
  SignalsOf,
  OutputOf,
  OutputStepName,
  WorkflowOutputOf,
  RouteStepSpec,
  DecisionContext,
  RetryPolicy,
  WorkflowDefinition,
  WorkflowSpec,
} from './machines/index.js';
export { DEADLINE_PASSED, DECISION_FAILED } from './machines/index.js';
export type { StepContext, StepLlmRequest, StepRun } from './machines/index.js';
export type { NoOutputSchemas, OutputSchemas, StepOutputs } from './machines/index.js';
export type { FanOutOptions, ItemOutcome, BranchOutcome, ItemError, CallScope, ChildOptions } from './machines/index.js';
export { Judgement, CapPolicy, Budget } from './machines/index.js';
export type { JsonValue, WorkflowContext, RecordedCall, Policies, WorkflowEventMetadata, WorkflowStructure, StepStructure } from './machines/index.js';
export { createRegistry, DefinitionError, isDefinitionError } from './machines/index.js';
export type { DefinitionRegistry } from './machines/index.js';
export type { WorkflowEvent, WorkflowEventType, WorkflowStatus, CommandType } from './machines/index.js';

// Running workflows
export { createEngine } from './actors/index.js';
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
} from './actors/index.js';
export { EngineError, isEngineError, isEngineClosed, isInvalidInput, isUnknownDefinition, isWorkflowConflict, isWorkflowNotFound } from './actors/index.js';
export type { EngineErrorCode } from './actors/index.js';
export { CallFailedError, isCallFailed, JournalError, isJournalError, isNondeterminism, isDuplicateCall } from './actors/index.js';
export type { JournalErrorCode } from './actors/index.js';
export { ChildFailedError, isChildFailed } from './actors/index.js';
export type { ParentLink } from './actors/index.js';
export { TerminalError, RetryableError, isTerminalError, isRetryableError, systemClock } from './actors/index.js';
export type { Clock } from './actors/index.js';

// Event stores
export { openEventStore, createMemoryEventStore, DEFAULT_STORE_URL } from './eventstore/index.js';
export type {
  AppendFence,
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  LeaseState,
  LeaseSync,
  LeaseTable,
  MemoryEventStoreOptions,
  OpenEventStoreOptions,
  PartitionLease,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  WorkerRecord,
} from './eventstore/index.js';
export {
  EventStoreError,
  WrongExpectedRevisionError,
  isEventStoreError,
  isInvalidEventData,
  isInvalidStoreUrl,
  isInvalidStreamName,
  isLeaseLost,
  isPayloadTooLarge,
  isStoreClosed,
  isStoreUnavailable,
  isWrongExpectedRevision,
} from './eventstore/index.js';
export type { EventStoreErrorCode } from './eventstore/index.js';

// Model providers
export { createLlmProvider, createAnthropicProvider, createOfflineProvider, DEFAULT_ANTHROPIC_MODEL } from './llm/index.js';
export type {
  AnthropicProviderOptions,
  CreateLlmProviderOptions,
  LlmMessage,
  LlmProvider,
  LlmRequest,
  LlmResult,
  LlmTool,
  LlmUsage,
  OfflineProviderOptions,
  SelectedLlmProvider,
} from './llm/index.js';
export { LlmError, isLlmError, isRetryableLlmError, isCancelled } from './llm/index.js';
export type { LlmErrorCode } from './llm/index.js';

// Artifacts and logging
export { createLocalArtifactStore, createMemoryArtifactStore } from './artifacts/index.js';
export type { ArtifactStore, StoredArtifact } from './artifacts/index.js';
export { createLogger } from './logging/index.js';
export type { CreateLoggerOptions, Logger } from './logging/index.js';
