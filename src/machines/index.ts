export * as events from './events.js';
export {
  WorkflowEvent,
  WorkflowEventMetadata,
  WORKFLOW_EVENT_TYPES,
  TERMINAL_EVENT_TYPES,
  isTerminalEventType,
  isWorkflowEventType,
  Judgement,
  Policies,
  CapPolicy,
  Budget,
  CallCompleted,
} from './events.js';
export type { WorkflowEventOf, WorkflowEventType } from './events.js';
export { WorkflowCommand, COMMAND_TYPES, Approve, Reject, RequestRevision, Cancel, SendSignal, isCommandType, parseCommand, commandLabel } from './commands.js';
export type { CommandType, WorkflowCommandInput, CommandRejection } from './commands.js';
export { commandToEvent, acceptedCommands, signalToEvent, isEventOf, eventFor } from './commandToEvent.js';
export type { SignalSchemas } from './commandToEvent.js';
export { compileMachine, STRUCTURE_META_KEY } from './compileMachine.js';
export type { WorkflowMachine } from './compileMachine.js';
export { callPath, initialContext, rerunOnRetry } from './context.js';
export type { JsonValue, WorkflowContext, WaitKind, InFlightStep, RecordedCall } from './context.js';
export { defineWorkflow, isWorkflowDefinition } from './defineWorkflow.js';
export type {
  AnyWorkflowDefinition,
  StartInput,
  ApprovalStepSpec,
  ActivityStepSpec,
  InputLoader,
  InputLoaderContext,
  ProduceActivity,
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
} from './workflowSpec.js';
export { settle, decideCommand, commandMeant } from './decide.js';
export type { Settled, SettleOptions, CommandDecision } from './decide.js';
export { createFolder, foldWithTransition, EventNotAcceptedError, isEventNotAccepted, notAccepted } from './fold.js';
export type { Fold, Folder, FoldedState } from './fold.js';
export { nextStep, idempotencyKeyOf, timeoutError } from './nextStep.js';
export type { Decision, StepDecisions } from './nextStep.js';
export { viewOf, iterationOf, stateLabel, structureOf, isTerminal } from './snapshotView.js';
export type { StateView, WorkflowSnapshot, WorkflowStatus } from './snapshotView.js';
export { isFinishedStatus } from './snapshotView.js';
export type { StepContext, StepLlmRequest, StepRun, FanOutOptions, ItemError, ItemOutcome, BranchOutcome, CallScope, ChildOptions } from './stepContext.js';
export type { NoOutputSchemas, OutputSchemas, StepOutputs } from './stepOutputs.js';
export { SPILLED, spilledRef, type SpilledRef } from './spilledOutputs.js';
export { DefinitionError, isDefinitionError, STEP_PHASES, SIGNAL_NAME, loopOf, validatorOf } from './structure.js';
export { assertValidStructure } from './validateStructure.js';
export type { StepKind, StepPhase, StepStructure, WorkflowStructure } from './structure.js';
export { createRegistry } from './createRegistry.js';
export type { DefinitionRegistry } from './createRegistry.js';
export { workflowStartedEvent } from './startEvent.js';
export { DEFAULT_UPCASTERS, createUpcasterRegistry, defaultUpcasterRegistry, payloadVersionOf } from './upcasters.js';
export type { PayloadUpcaster, UpcastResult, UpcasterRegistry } from './upcasters.js';
export { workflowSetup, DEADLINE_PASSED, DECISION_FAILED } from './workflowSetup.js';
export { backoffMs, resolveRetry, retryAtAfter, timeoutRetryAt } from './retrySchedule.js';
export type { ResolvedRetry, RetryNumbers } from './retrySchedule.js';
export { READABLE_ISSUES } from './readableIssues.js';
