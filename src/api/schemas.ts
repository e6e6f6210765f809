import { z } from 'zod';
import { PROBLEM_CODES } from './errors.js';
import { WORKFLOW_ID_PATTERN } from './tenancy.js';

/** Request and response shapes: validated at the edge and the source of /openapi.json. */

export const WorkflowId = z.string().regex(WORKFLOW_ID_PATTERN).describe('Client-chosen workflow id, unique within the tenant');

export const CreateWorkflowBody = z
  .object({
    definition: z.string().min(1).max(128).describe('Definition name, see GET /v1/definitions'),
    input: z.json().describe("Workflow input, validated by the definition's input schema"),
    id: WorkflowId.optional().describe('Omit to let the server choose one'),
  })
  .strict();

export const SendEventBody = z
  .object({
    type: z.string().min(1).max(64).describe('Command type, e.g. APPROVE, REJECT, REQUEST_REVISION, CANCEL'),
    data: z.json().optional().describe("Command data, validated by the command's schema"),
  })
  .strict();

export const WORKFLOW_STATUSES = ['running', 'waiting', 'blocked', 'completed', 'failed', 'cancelled'] as const;

export const ListWorkflowsQuery = z.object({
  status: z.enum(WORKFLOW_STATUSES).optional(),
  definition: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(50),
  cursor: z.string().min(1).max(512).optional().describe('nextCursor of the previous page'),
});

export const WorkflowIdParams = z.object({ id: z.string().max(256) });

export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(PROBLEM_CODES),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(FieldErrorSchema).optional().describe('Field paths that failed validation'),
    state: z.json().optional().describe('EVENT_NOT_ACCEPTED: the state the workflow is in'),
    accepts: z.array(z.string()).optional().describe('EVENT_NOT_ACCEPTED: the commands it accepts now'),
  })
  .loose()
  .describe('RFC 9457 problem details (application/problem+json)');

export const WorkflowStatusSchema = z
  .object({
    workflowId: z.string(),
    definition: z.string(),
    status: z.enum(WORKFLOW_STATUSES),
    revision: z.number().int(),
  })
  .loose()
  .describe('The status read model of one workflow');

export const EventAccepted = z.object({
  workflowId: z.string(),
  type: z.string(),
  revision: z.number().int().describe('Stream revision of the recorded event; resume SSE from here'),
});

export const WorkflowList = z.object({ items: z.array(WorkflowStatusSchema), nextCursor: z.string().nullable() });

export const AuditResponse = z.object({ workflowId: z.string(), entries: z.array(z.record(z.string(), z.json())) });

export const DefinitionsResponse = z.object({
  definitions: z.array(
    z.object({
      name: z.string(),
      version: z.number().int(),
      description: z.string().optional(),
      inputSchema: z.record(z.string(), z.json()).describe('JSON Schema of the input'),
      commands: z.array(z.object({ type: z.string(), description: z.string().optional(), dataSchema: z.record(z.string(), z.json()) })),
    }),
  ),
});

export const HealthResponse = z.object({ status: z.enum(['ok', 'shutting_down']), uptimeSeconds: z.number(), store: z.string(), projectionLag: z.number().int() });
