export { createApi } from './createApi.js';
export type { CreateApiOptions } from './createApi.js';
export { createApp } from './createApp.js';
export { createEngineRuntime } from './engineRuntime.js';
export { createQueriesPort } from './projectionPorts.js';
export type { ProjectionsForApi } from './projectionPorts.js';
export type { ApiApp, CreateAppOptions } from './createApp.js';
export { listenApi } from './listenApi.js';
export { startServer } from './startServer.js';
export type { RunningServer, StartServerOptions } from './startServer.js';
export { InsecureBindError, assertSafeBind, isInsecureBindError } from './bindGuard.js';
export { ANONYMOUS, createAuthenticator } from './auth.js';
export type { Authenticator, Principal } from './auth.js';
export { ApiError, PROBLEM_CODES, PROBLEM_STATUS, isApiError, problemType } from './errors.js';
export type { FieldError, ProblemCode } from './errors.js';
export { countAppends } from './countAppends.js';
export type { AppendStats } from './countAppends.js';
export { buildOpenApi } from './openapi.js';
export type {
  ApiPorts,
  ApiQueries,
  ApiRuntime,
  CommandInfo,
  DefinitionInfo,
  LagInfo,
  ListPage,
  ListQuery,
  ResilienceStats,
  SendOutcome,
  SendRequest,
  StartOutcome,
  StartRequest,
  TokenDelta,
  WorkflowStatusView,
} from './ports.js';
export { createWorkerProbe } from './workerProbe.js';
export type { WorkerProbe } from './workerProbe.js';
