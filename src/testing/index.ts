/**
 * `ecl-workflows/testing`: test your own workflows. Given/when/then specs of a definition's machine,
 * a real engine on in-memory stores, scripted and offline models, and replay of stored histories
 * against your definitions. Assertions throw node's `AssertionError`, so any test runner works.
 *
 * @packageDocumentation
 */
export { workflowSpec, SPEC_NOW } from './workflowSpec.js';
export type { ExpectedRejection, GivenHistory, SpecOutcome, WorkflowSpecification, WorkflowSpecOptions } from './workflowSpec.js';
export { ev } from './eventBuilders.js';
export { createTestEngine } from './createTestEngine.js';
export { createManualClock } from './manualClock.js';
export type { ManualClock } from './manualClock.js';
export type { TestEngine, TestEngineOptions, TypedView } from './createTestEngine.js';
export type { TestAudit } from './testAudit.js';
export { CommandRejectedError } from './commandRejectedError.js';
export type { CommandRejection } from './commandRejectedError.js';
export type { WorkflowEvent, WorkflowEventType } from '../machines/index.js';
export type { AuditEntry, DescendantUsage, WorkflowStatusRow } from '../projections/index.js';
export { replayHistories, historiesOf, ReplayDivergenceError, isReplayDivergence } from '../replay/index.js';
export type { HistoryReplay, WorkflowHistory } from '../replay/index.js';
export { createScriptedProvider, createOfflineProvider, SCRIPTED_MODEL, OFFLINE_MODEL } from '../llm/index.js';
export type { LlmScript, ScriptedCall, ScriptedProviderOptions, OfflineProviderOptions } from '../llm/index.js';
export { createMemoryEventStore } from '../eventstore/index.js';
export { createMemoryArtifactStore } from '../artifacts/index.js';
export { EventNotAcceptedError, isEventNotAccepted } from '../machines/index.js';
export type { Settled, SettleOptions, WorkflowSnapshot } from '../machines/index.js';
