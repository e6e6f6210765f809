import type { z } from 'zod';
import { WORKFLOW_ID_PATTERN } from '../edge/index.js';
import { PROBLEM_CODES } from './errors.js';
import { jsonSchemaOf } from './routes/definitions.js';
import {
  AuditResponse,
  CANONICAL_INTEGER,
  CreateWorkflowBody,
  DefinitionsResponse,
  EventAccepted,
  HealthResponse,
  ListWorkflowsQuery,
  Problem,
  SendEventBody,
  WorkflowList,
  WorkflowStatusSchema,
} from './schemas.js';

const json = (schema: z.ZodType) => ({ 'application/json': { schema: jsonSchemaOf(schema) } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [String(status), problem(DESCRIPTIONS[status] ?? 'Error')]));
const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed JSON, a body, query or id that fails validation (see `errors` for field paths)',
  401: 'Missing or wrong API key',
  404: 'No such workflow in your tenant',
  409: 'Conflict: see `code` (EVENT_NOT_ACCEPTED: `state` and `accepts` say what the workflow takes now)',
  413: 'Body over the limit',
  415: 'Not JSON',
  503: 'Shutting down or too many streams',
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: WORKFLOW_ID_PATTERN.source } };
const lastEventIdSchema = { type: 'string', pattern: CANONICAL_INTEGER.source };
const sse = (description: string) => ({ description, content: { 'text/event-stream': { schema: { type: 'string' } } } });

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApi(options: { version: string; authRequired: boolean }) {
  const listQuery = jsonSchemaOf(ListWorkflowsQuery) as { properties: Record<string, unknown>; required?: string[] };
  const security = [{ bearer: [] }];
  return {
    openapi: '3.1.0',
    info: {
      title: 'ECL command and query API',
      version: options.version,
      description: 'Start workflows, send them commands, follow them live, query projections.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from ECL_API_KEYS; omitted in open single-tenant mode' } },
      schemas: { Problem: { ...jsonSchemaOf(Problem), 'x-codes': PROBLEM_CODES } },
    },
    security: options.authRequired ? security : [],
    paths: {
      '/v1/workflows': {
        post: {
          operationId: 'startWorkflow',
          requestBody: { required: true, content: json(CreateWorkflowBody) },
          responses: {
            '201': { description: 'Started', content: json(WorkflowStatusSchema) },
            '200': { description: 'Already started with the same input', content: json(WorkflowStatusSchema) },
            ...errors(400, 401, 409, 413, 415, 503),
          },
        },
        get: {
          operationId: 'listWorkflows',
          parameters: Object.entries(listQuery.properties).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
          responses: { '200': { description: 'A page of workflows', content: json(WorkflowList) }, ...errors(400, 401) },
        },
      },
      '/v1/workflows/{id}': {
        get: {
          operationId: 'getWorkflow',
          parameters: [idParam],
          responses: { '200': { description: 'Status', content: json(WorkflowStatusSchema) }, ...errors(400, 401, 404) },
        },
      },
      '/v1/workflows/{id}/events': {
        post: {
          operationId: 'sendEvent',
          summary: 'Send a command or a signal',
          description:
            '`type` is a command (APPROVE, REJECT, REQUEST_REVISION, CANCEL) with its fields in `data`, or the name of a signal a `signal` step ' +
            "waits for (lowercase first letter) with its payload in `data`. A signal's data is checked against the step's schema: a 400 " +
            '`INVALID_EVENT_DATA` names each failing field as `data.<field>` and records nothing. A command or signal the workflow does not ' +
            'accept now is a 409 `EVENT_NOT_ACCEPTED` with its `state` and what it `accepts` (the awaited signal first).',
          parameters: [idParam],
          requestBody: { required: true, content: json(SendEventBody) },
          responses: { '202': { description: 'Recorded', content: json(EventAccepted) }, ...errors(400, 401, 404, 409, 413, 415, 503) },
        },
      },
      '/v1/workflows/{id}/audit': {
        get: {
          operationId: 'getAudit',
          parameters: [idParam],
          responses: { '200': { description: 'Audit trail', content: json(AuditResponse) }, ...errors(400, 401, 404) },
        },
      },
      '/v1/workflows/{id}/stream': {
        get: {
          operationId: 'streamWorkflow',
          parameters: [
            idParam,
            {
              name: 'Last-Event-ID',
              in: 'header',
              required: false,
              schema: lastEventIdSchema,
              description: 'Resume after this stream revision (the id of a transition); anything else is a 400',
            },
          ],
          responses: { '200': sse('Events `transition` (id = revision), `delta` (live tokens) and `end`'), ...errors(400, 401, 404, 503) },
        },
      },
      '/v1/stream': {
        get: {
          operationId: 'streamTenant',
          parameters: [
            {
              name: 'Last-Event-ID',
              in: 'header',
              required: false,
              schema: lastEventIdSchema,
              description: 'Resume after this global position (the id of a transition); omitted = live only; anything else is a 400',
            },
          ],
          responses: { '200': sse('Events `transition` (id = global position) and `delta` for every workflow of the tenant'), ...errors(400, 401, 503) },
        },
      },
      '/v1/definitions': {
        get: { operationId: 'listDefinitions', responses: { '200': { description: 'Definitions', content: json(DefinitionsResponse) }, ...errors(401) } },
      },
      '/v1/metrics/summary': {
        get: {
          operationId: 'metricsSummary',
          responses: {
            '200': { description: 'Metrics read model for the tenant', content: { 'application/json': { schema: { type: 'object' } } } },
            ...errors(401),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          security: [],
          responses: { '200': { description: 'Up', content: json(HealthResponse) }, '503': { description: 'Shutting down', content: json(HealthResponse) } },
        },
      },
      '/metrics': {
        get: {
          operationId: 'prometheus',
          security: [],
          responses: { '200': { description: 'Prometheus text exposition', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          security: [],
          responses: { '200': { description: 'This document', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
  };
}
