export { createApiClient } from './createApiClient.js';
export type {
  ApiClient,
  ApiClientOptions,
  FollowHandlers,
  FollowResult,
  EventAccepted,
  RunResult,
  SendOptions,
  StartWorkflow,
  StreamedDelta,
  StreamedTransition,
  TypedStatus,
  WorkflowStatus,
} from './createApiClient.js';
export type { components, paths } from './openapi.js';
export { ApiClientError, isApiClientError, problemLines } from './errors.js';
export { readSse } from './readSse.js';
export type { SseEvent } from './readSse.js';
