export * as events from './events.js';
export {
  WorkflowEvent,
  WorkflowEventMetadata,
  WORKFLOW_EVENT_TYPES,
  TERMINAL_EVENT_TYPES,
  isWorkflowEventType,
  Judgement,
  Policies,
  CapPolicy,
  Budget,
  CallCompleted,
} from './events.js';
export type { WorkflowEventOf, WorkflowEventType } from './events.js';
export { WorkflowCommand, COMMAND_TYPES, Approve, Reject, RequestRevision, Cancel, isCommandType, parseCommand } from './commands.js';
export type { CommandType, WorkflowCommandInput, CommandRejection } from './commands.js';
export { commandToEvent, acceptedCommands } from './commandToEvent.js';
export { compileMachine, loopOf, validatorOf, STRUCTURE_META_KEY } from './compileMachine.js';
export type { WorkflowMachine } from './compileMachine.js';
export { initialContext } from './context.js';
export type { JsonValue, WorkflowContext, WaitKind, InFlightStep, RecordedCall } from './context.js';
export { defineWorkflow, isWorkflowDefinition } from './defineWorkflow.js';
export type {
  AnyWorkflowDefinition,
  ApprovalStepSpec,
  ActivityStepSpec,
  InputLoader,
  InputLoaderContext,
  ProduceStepSpec,
  StepSpec,
  ValidateStepSpec,
  WorkflowDefinition,
  WorkflowSpec,
} from './defineWorkflow.js';
export { settle, decideCommand } from './decide.js';
export type { Settled, SettleOptions, CommandDecision } from './decide.js';
export { createFolder, foldWithTransition, EventNotAcceptedError, isEventNotAccepted } from './fold.js';
export type { Fold, Folder, FoldedState } from './fold.js';
export { compileFold, compiledFoldUnsupported, CompiledState } from './compiledFold.js';
export { nextStep, idempotencyKeyOf, timeoutError } from './nextStep.js';
export type { Decision } from './nextStep.js';
export { viewOf, iterationOf, stateLabel, structureOf, isTerminal } from './snapshotView.js';
export type { StateView, WorkflowSnapshot, WorkflowStatus } from './snapshotView.js';
export type { StepContext, StepLlmRequest, StepRun } from './stepContext.js';
export { assertValidStructure, DefinitionError, isDefinitionError, STEP_PHASES } from './structure.js';
export type { StepKind, StepPhase, StepStructure, WorkflowStructure } from './structure.js';
export { createRegistry } from './createRegistry.js';
export type { DefinitionRegistry } from './createRegistry.js';
export { workflowStartedEvent } from './startEvent.js';
export { DEFAULT_UPCASTERS, createUpcasterRegistry, defaultUpcasterRegistry, payloadVersionOf } from './upcasters.js';
export type { PayloadUpcaster, UpcastResult, UpcasterRegistry } from './upcasters.js';
export { workflowSetup } from './workflowSetup.js';
