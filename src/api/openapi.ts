import { z } from 'zod';
import { COMMAND_ID_PATTERN } from '../actors/index.js';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject, type oas31 } from 'zod-openapi';
import { PROBLEM_CODES, PROBLEM_STATUS, type ProblemCode } from './errors.js';
import { SIGNAL_NAME } from '../machines/index.js';
import type { DefinitionInfo } from './ports.js';
import {
  AuditResponse,
  CANONICAL_INTEGER,
  COMMAND_TYPES,
  CreateWorkflowBody,
  DefinitionNameParams,
  DefinitionVersions,
  DefinitionsResponse,
  WorkersResponse,
  EventAccepted,
  HealthResponse,
  ListWorkflowsQuery,
  MetricsSummarySchema,
  Problem,
  SendEventBody,
  StartWorkflowQuery,
  GetWorkflowQuery,
  StreamEnd,
  StreamToken,
  StreamedDelta,
  StreamedTransition,
  UsageQuery,
  WorkflowHistory,
  WorkflowId,
  WorkflowList,
  WorkflowStatus,
  WorkflowUsage,
} from './schemas.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed JSON, a body, query, header or id that fails validation (see `errors` for field paths)',
  401: 'Missing or wrong API key',
  404: 'No such workflow in your tenant',
  405: 'The path exists, the method does not: see the Allow header',
  409: 'Conflict: see `code` (EVENT_NOT_ACCEPTED: `state` and `accepts` say what the workflow takes now)',
  413: 'Body over the limit',
  415: 'Not JSON',
  503: 'Shutting down, too many streams, or the store is unavailable: retry after Retry-After seconds',
};

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const problems = (...statuses: number[]): ZodOpenApiResponsesObject =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: `${DESCRIPTIONS[status] ?? 'Error'}. Codes: ${codesOf(status).join(', ')}`,
        ...(status === 401 ? { headers: z.object({ 'WWW-Authenticate': z.string().meta({ description: 'Bearer realm="ecl"' }) }) } : {}),
        ...(status === 503 ? { headers: z.object({ 'Retry-After': z.string().meta({ description: 'Seconds' }) }) } : {}),
        ...(status === 405 ? { headers: z.object({ Allow: z.string().meta({ description: 'The methods the path accepts' }) }) } : {}),
        content: { 'application/problem+json': { schema: Problem } },
      },
    ]),
  );
const codesOf = (status: number): ProblemCode[] => PROBLEM_CODES.filter((code) => PROBLEM_STATUS[code] === status);

const location = z.object({ Location: z.string().meta({ description: 'The workflow: /v1/workflows/{id}' }) });
const idParams = z.object({ id: WorkflowId });
const streamToken = z.string().optional().meta({ description: 'A stream token from POST /v1/stream-tokens, instead of Authorization (browsers)' });
const lastEventId = (description: string) =>
  z
    .string()
    .regex(CANONICAL_INTEGER)
    .optional()
    .meta({ description: `${description}; anything else is a 400` });
const sse = (description: string, events: Record<string, string>) => ({
  description,
  content: {
    'text/event-stream': {
      schema: z.string().meta({
        description: `Server-Sent Events: ${Object.keys(events)
          .map((name) => `\`${name}\``)
          .join(', ')}; each event's data is JSON of the schema named in x-sse-events`,
      }),
    },
  },
  'x-sse-events': Object.fromEntries(Object.entries(events).map(([event, schema]) => [event, { $ref: `#/components/schemas/${schema}` }])),
});

/**
 * The OpenAPI 3.1 document, generated (zod-openapi) from the zod schemas that validate requests
 * and describe responses. The event `type` is an enum of the commands and of the signals the
 * given definitions wait for.
 */
export function buildOpenApi(options: { version: string; authRequired: boolean; definitions: readonly DefinitionInfo[] }): oas31.OpenAPIObject {
  const eventTypes = [...new Set([...COMMAND_TYPES, ...options.definitions.flatMap((definition) => definition.commands.map((command) => command.type))])];
  // Without definitions (the document a client is generated from) a signal is any signal name.
  const eventType =
    options.definitions.length === 0 ? z.union([z.enum(COMMAND_TYPES), z.string().regex(SIGNAL_NAME)]) : z.enum(eventTypes as [string, ...string[]]);
  const sendEvent = SendEventBody.extend({ type: eventType.meta({ description: SendEventBody.shape.type.description ?? '' }) });
  const security = [{ bearer: [] }];
  const operation = (spec: ZodOpenApiOperationObject): ZodOpenApiOperationObject => spec;
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'ECL command and query API',
        version: options.version,
        description: 'Start workflows, send them commands and signals, follow them live, query projections.',
      },
      security: options.authRequired ? security : [],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from ECL_API_KEYS; omitted in open single-tenant mode' } },
        schemas: { SendEvent: sendEvent, Transition: StreamedTransition, Delta: StreamedDelta, StreamEnd },
      },
      paths: {
        '/v1/workflows': {
          post: operation({
            operationId: 'startWorkflow',
            summary: 'Start a workflow (idempotent per id and input); with ?wait=, also wait for its result',
            requestParams: { query: StartWorkflowQuery },
            requestBody: { required: true, content: json(CreateWorkflowBody) },
            responses: {
              '201': { description: 'Started (with ?wait=: started and finished within the wait)', headers: location, content: json(WorkflowStatus) },
              '200': { description: 'Already started with the same input (with ?wait=: and finished)', headers: location, content: json(WorkflowStatus) },
              '202': {
                description: 'With ?wait=: started, and not finished within the wait (or waiting for a person or a signal); follow Location',
                headers: location,
                content: json(WorkflowStatus),
              },
              ...problems(400, 401, 409, 413, 415, 503),
            },
          }),
          get: operation({
            operationId: 'listWorkflows',
            requestParams: { query: ListWorkflowsQuery },
            responses: { '200': { description: 'A page of workflows, newest first', content: json(WorkflowList) }, ...problems(400, 401) },
          }),
        },
        '/v1/workflows/{id}': {
          get: operation({
            operationId: 'getWorkflow',
            summary: "A workflow's status; with ?wait=, once it finishes or waits for someone (a long poll)",
            requestParams: { path: idParams, query: GetWorkflowQuery },
            responses: { '200': { description: 'Status', content: json(WorkflowStatus) }, ...problems(400, 401, 404) },
          }),
        },
        '/v1/workflows/{id}/events': {
          post: operation({
            operationId: 'sendEvent',
            summary: 'Send a command or a signal',
            description:
              '`type` is a command (APPROVE, REJECT, REQUEST_REVISION, CANCEL) with its fields in `data`, or the name of a signal a `signal` step ' +
              "waits for with its payload in `data`. A signal's data is checked against the step's schema: a 400 `INVALID_EVENT_DATA` names " +
              'each failing field as `data.<field>` and records nothing. A command or signal the workflow does not accept now is a 409 ' +
              '`EVENT_NOT_ACCEPTED` with its `state` and what it `accepts` (the awaited signal first); a signal name its definition has no ' +
              'step for is a 400 `UNKNOWN_EVENT_TYPE`. With an `Idempotency-Key`, a command sent again answers 202 with its first recording ' +
              '(`duplicate: true`) instead of a 409, even once the workflow moved on.',
            requestParams: {
              path: idParams,
              header: z.object({
                'Idempotency-Key': z.string().regex(COMMAND_ID_PATTERN).optional().meta({
                  description:
                    'Your id for this command (1-255 visible ASCII characters without spaces, e.g. a UUID), recorded with its event: retry with it after a lost answer',
                }),
              }),
            },
            requestBody: { required: true, content: json(sendEvent) },
            responses: {
              '202': { description: 'Recorded (or, with an Idempotency-Key recorded before, that recording)', content: json(EventAccepted) },
              ...problems(400, 401, 404, 409, 413, 415, 422, 503),
            },
          }),
        },
        '/v1/workflows/{id}/audit': {
          get: operation({
            operationId: 'getAudit',
            requestParams: { path: idParams },
            responses: { '200': { description: 'Audit trail', content: json(AuditResponse) }, ...problems(400, 401, 404) },
          }),
        },
        '/v1/workflows/{id}/stream': {
          get: operation({
            operationId: 'streamWorkflow',
            requestParams: {
              path: idParams,
              header: z.object({ 'Last-Event-ID': lastEventId('Resume after this stream revision (the id of a transition)') }),
              query: z.object({
                lastEventId: lastEventId('As the Last-Event-ID header, for a first connect from a browser; the header wins'),
                token: streamToken,
              }),
            },
            responses: {
              '200': sse('From the start, or after Last-Event-ID; ends with `end` when the workflow finishes', {
                transition: 'Transition',
                delta: 'Delta',
                end: 'StreamEnd',
              }),
              '204': { description: 'The workflow finished and the client has seen its last event: stop reconnecting' },
              ...problems(400, 401, 404, 503),
            },
          }),
        },
        '/v1/stream': {
          get: operation({
            operationId: 'streamTenant',
            requestParams: {
              header: z.object({ 'Last-Event-ID': lastEventId('Resume after this global position (the id of a transition); omitted = live only') }),
              query: z.object({
                lastEventId: lastEventId('As the Last-Event-ID header, for a first connect from a browser; the header wins'),
                token: streamToken,
              }),
            },
            responses: {
              '200': sse("Every workflow of the caller's tenant, live", { transition: 'Transition', delta: 'Delta' }),
              ...problems(400, 401, 503),
            },
          }),
        },
        '/v1/stream-tokens': {
          post: operation({
            operationId: 'mintStreamToken',
            summary: "A short-lived token for the caller's tenant, accepted only by the SSE routes as ?token=",
            responses: {
              '200': {
                description: 'Minted',
                headers: z.object({ 'Cache-Control': z.string().meta({ description: 'no-store' }) }),
                content: json(StreamToken),
              },
              ...problems(401),
            },
          }),
        },
        '/v1/workers': {
          get: operation({
            operationId: 'listWorkers',
            summary: 'The workers sharing the store: their partition leases, heartbeats and lag',
            responses: { '200': { description: 'Workers', content: json(WorkersResponse) }, ...problems(401) },
          }),
        },
        '/v1/definitions': {
          get: operation({
            operationId: 'listDefinitions',
            responses: { '200': { description: 'Definitions', content: json(DefinitionsResponse) }, ...problems(401) },
          }),
        },
        '/v1/workflows/{id}/history': {
          get: operation({
            operationId: 'getHistory',
            summary: 'The stream folded per revision (time travel): state, iterations and outputs after each event, with zero model calls',
            requestParams: { path: idParams },
            responses: {
              '200': { description: 'Folded history', content: json(WorkflowHistory) },
              ...problems(400, 401, 404),
            },
          }),
        },
        '/v1/definitions/{name}/versions': {
          get: operation({
            operationId: 'getDefinitionVersions',
            summary: "Every registered version of a definition with its steps (the console's graph)",
            requestParams: { path: DefinitionNameParams },
            responses: { '200': { description: 'Versions', content: json(DefinitionVersions) }, ...problems(400, 401, 404) },
          }),
        },
        '/v1/usage': {
          get: operation({
            operationId: 'getUsage',
            summary: "Model tokens and cost per workflow, for a page of the console's list",
            requestParams: { query: UsageQuery },
            responses: { '200': { description: 'Usage by workflow id', content: json(WorkflowUsage) }, ...problems(400, 401) },
          }),
        },
        '/v1/metrics/summary': {
          get: operation({
            operationId: 'metricsSummary',
            responses: { '200': { description: 'Metrics read model for the tenant', content: json(MetricsSummarySchema) }, ...problems(401) },
          }),
        },
        '/': {
          get: operation({
            operationId: 'consoleRedirect',
            security: [],
            responses: { '302': { description: 'To the web console', headers: z.object({ Location: z.string().meta({ description: '/console/' }) }) } },
          }),
        },
        '/console': {
          get: operation({
            operationId: 'console',
            summary: 'The web console (docs/console.md): a page that asks for an API key when keys are configured',
            security: [],
            responses: { '200': { description: 'The console page', content: { 'text/html': { schema: z.string() } } } },
          }),
        },
        '/console/{asset}': {
          get: operation({
            operationId: 'consoleAsset',
            security: [],
            requestParams: { path: z.object({ asset: z.string() }) },
            responses: {
              '200': { description: "One of the console's built files (script, style sheet)", content: { 'application/octet-stream': { schema: z.string() } } },
              ...problems(404),
            },
          }),
        },
        '/healthz': {
          get: operation({
            operationId: 'health',
            security: [],
            responses: { '200': { description: 'Up', content: json(HealthResponse) }, '503': { description: 'Shutting down', content: json(HealthResponse) } },
          }),
        },
        '/metrics': {
          get: operation({
            operationId: 'prometheus',
            security: [],
            responses: { '200': { description: 'Prometheus text exposition', content: { 'text/plain': { schema: z.string() } } } },
          }),
        },
        '/openapi.json': {
          get: operation({
            operationId: 'openapi',
            security: [],
            responses: {
              '200': {
                description: 'This document',
                content: { 'application/json': { schema: z.record(z.string(), z.unknown()).meta({ description: 'An OpenAPI 3.1 document' }) } },
              },
            },
          }),
        },
      },
    },
    { allowEmptySchema: { custom: true } },
  );
}
