/**
 * `ecl-workflows/client`: a typed client of an ECL server's v1 HTTP API, its types generated from
 * the server's OpenAPI document. `run` starts a workflow and resolves with its result in one request.
 *
 * @packageDocumentation
 */
export { createApiClient, ApiClientError, isApiClientError, problemLines } from './api/client/index.js';
export type {
  ApiClient,
  ApiClientOptions,
  FollowHandlers,
  FollowResult,
  RunResult,
  StartWorkflow,
  StreamedDelta,
  StreamedTransition,
  TypedStatus,
  WorkflowStatus,
  components,
  paths,
} from './api/client/index.js';
