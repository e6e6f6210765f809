export type {
  AppendFence,
  AppendOptions,
  AppendResult,
  LeaseState,
  LeaseSync,
  LeaseTable,
  PartitionLease,
  WorkerRecord,
  Direction,
  EventMetadata,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  JsonObject,
  JsonPrimitive,
  JsonValue,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamFilter,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
} from './types.js';
export {
  EventStoreError,
  WrongExpectedRevisionError,
  PayloadTooLargeError,
  isEventStoreError,
  isInvalidEventData,
  isInvalidStoreUrl,
  isInvalidStreamName,
  isLeaseLost,
  isPayloadTooLarge,
  isStoreClosed,
  isStoreUnavailable,
  isWrongExpectedRevision,
} from './errors.js';
export type { EventStoreErrorCode } from './errors.js';
export { DEFAULT_MAX_APPEND_BYTES, assertValidStreamName } from './prepareAppend.js';
export { WORKFLOW_CATEGORY, workflowIdOf, workflowStream } from './streamNames.js';
export { DEFAULT_STORE_URL, openEventStore, sqlitePathOf } from './openEventStore.js';
export type { OpenEventStoreOptions } from './openEventStore.js';
export { createMemoryEventStore } from './memoryEventStore.js';
export type { MemoryEventStoreOptions } from './memoryEventStore.js';
export { applyLeaseSync, holderOf } from './leaseRules.js';
