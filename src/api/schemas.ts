import { z } from 'zod';
import { PROBLEM_CODES } from './errors.js';
import { WORKFLOW_ID_PATTERN } from '../edge/index.js';

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
    type: z
      .string()
      .min(1)
      .max(64)
      .describe(
        'Command type (APPROVE, REJECT, REQUEST_REVISION, CANCEL), or the name of a signal the workflow waits for (lowercase first letter, e.g. payment; see `accepts` of the workflow and the commands of GET /v1/definitions)',
      ),
    data: z
      .json()
      .optional()
      .describe(
        "A command's fields (e.g. {\"feedback\": \"…\"}), validated by the command's schema; a signal's data, validated by its step's schema (400 naming `data.<field>`) and recorded as the step's output",
      ),
  })
  .strict();

export const WORKFLOW_STATUSES = ['running', 'waiting', 'blocked', 'completed', 'failed', 'cancelled'] as const;

/**
 * The ids the server hands out: a cursor, a stream revision, a log position. They are canonical
 * non-negative decimal integers (no sign, exponent, leading zero or space); anything else was not
 * handed out, so it is refused rather than read as "from the start".
 */
export const CANONICAL_INTEGER = /^(?:0|[1-9]\d{0,19})$/;

export const ListWorkflowsQuery = z.object({
  status: z.enum(WORKFLOW_STATUSES).optional(),
  definition: z.string().min(1).max(128).optional(),
  // Plain digits only: `1e2`, `0x10`, `+5` and ` 5` are not what a client meant to write.
  limit: z
    .string()
    .regex(/^[1-9]\d{0,4}$/, 'a whole number from 1, in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(1).max(10_000))
    .default(50),
  cursor: z
    .string()
    .regex(CANONICAL_INTEGER, { message: 'not a cursor this server handed out: pass nextCursor of the previous page as it is', abort: true })
    .refine((cursor) => Number(cursor) <= Number.MAX_SAFE_INTEGER, 'not a cursor this server handed out')
    .optional()
    .describe('nextCursor of the previous page'),
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
    accepts: z
      .array(z.string())
      .optional()
      .describe('The commands it accepts now, the name of the signal it waits for first; CANCEL while running; none once finished or blocked'),
    waitingFor: z
      .object({
        step: z.string(),
        kind: z.enum(['cap', 'budget', 'approval', 'signal']),
        signal: z.string().optional().describe('kind signal: the signal to send (as the event `type`)'),
        timeoutAt: z.string().optional().describe('kind signal: when it stops waiting (ISO); absent = no timeout'),
      })
      .optional()
      .describe("While waiting: what for — a loop's cap, the budget, an approval gate, or a signal"),
    wakeAt: z.string().optional().describe("While running: when a sleeping step or a failed attempt's retry wakes it (ISO)"),
    wakeReason: z.enum(['sleep', 'retry']).optional().describe('What wakes it at wakeAt'),
    deadline: z
      .object({ at: z.string(), onPass: z.enum(['fail', 'cancel']) })
      .optional()
      .describe('While live: by when it must be finished, and what happens if not'),
  })
  .loose()
  .describe('The status read model of one workflow');

export const EventAccepted = z.object({
  workflowId: z.string(),
  type: z.string(),
  revision: z.number().int().describe('Stream revision of the event the command recorded; resume SSE from here (Last-Event-ID) to see everything after it'),
  lastRevision: z.number().int().describe('Stream revision of the last event appended with it (what the command caused, e.g. the next StepStarted)'),
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

export const HealthResponse = z.object({
  status: z.enum(['ok', 'shutting_down']),
  uptimeSeconds: z.number(),
  store: z.string(),
  projectionLag: z.number().int(),
});
