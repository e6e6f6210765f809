export { createApiClient } from './createApiClient.js';
export type { ApiClient, ApiClientOptions, FollowHandlers, FollowResult, StreamedDelta, StreamedTransition } from './createApiClient.js';
export { ApiClientError, isApiClientError, problemLines } from './errors.js';
export { readSse } from './readSse.js';
export type { SseEvent } from './readSse.js';
