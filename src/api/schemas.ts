import { z } from 'zod';
import type { JsonValue } from '../eventstore/index.js';
import { WORKFLOW_STATUSES } from '../projections/index.js';
import { WORKFLOW_ID_PATTERN } from '../edge/index.js';
import { PROBLEM_CODES } from './errors.js';

/**
 * Request and response shapes: requests are validated with them at the edge, and /openapi.json is
 * generated from all of them (`.meta({ id })` makes a shared component of a schema).
 */

export { WORKFLOW_STATUSES };

/**
 * Any JSON value. Documented as an unconstrained schema rather than the recursive JSON type, which
 * generated clients cannot type; a request body is parsed JSON, so nothing else can arrive.
 */
export const AnyJson = z.custom<JsonValue>((value) => value !== undefined).meta({ description: 'Any JSON value' });

export const WorkflowId = z.string().regex(WORKFLOW_ID_PATTERN).describe('Client-chosen workflow id, unique within the tenant');

export const CreateWorkflowBody = z
  .object({
    definition: z.string().min(1).max(128).describe('Definition name, see GET /v1/definitions'),
    version: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('A registered version of the definition to start (GET /v1/definitions/{name}/versions); default: the newest'),
    input: z
      .custom<JsonValue>((value) => value !== undefined, { error: "Required: the workflow's input, a JSON value ({} when none of its fields is required)" })
      .meta({ description: "Workflow input, validated by the definition's input schema (of that version)" }),
    id: WorkflowId.optional().describe('Omit to let the server choose one'),
  })
  .strict()
  .meta({ id: 'StartWorkflow' });

/** Longest `?wait=` a start may ask for, in seconds. */
export const MAX_WAIT_SECONDS = 300;

const waitSeconds = (description: string) =>
  z
    .string()
    .regex(/^(?:0|[1-9]\d{0,2})(?:\.\d{1,3})?$/, 'seconds, a decimal number such as 30 or 2.5')
    .transform(Number)
    .pipe(z.number().min(0).max(MAX_WAIT_SECONDS))
    .optional()
    .describe(description);

export const StartWorkflowQuery = z.object({
  wait: waitSeconds(
    `Seconds (at most ${MAX_WAIT_SECONDS}) to wait for the workflow to finish: the answer is then its final status with its output (200 or 201). ` +
      'Still running when the wait is over (or waiting for a person or a signal, which no wait outlasts usefully): 202 with the status and a Location to follow.',
  ),
});

export const GetWorkflowQuery = z.object({
  wait: waitSeconds(
    `Seconds (at most ${MAX_WAIT_SECONDS}) to wait, while the workflow runs, for it to finish or to wait for a person or a signal (a long poll). ` +
      'The answer is its status then, or when the wait is over, whichever comes first; at once when it is not running.',
  ),
});

export const COMMAND_TYPES = ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL'] as const;

export const SendEventBody = z
  .object({
    type: z
      .string()
      .min(1)
      .max(64)
      .describe(
        'A command (APPROVE, REJECT, REQUEST_REVISION, CANCEL), or the name of a signal the workflow waits for (lowercase first letter, e.g. payment; see `accepts` of the workflow and `commands` of GET /v1/definitions)',
      ),
    data: AnyJson.optional().describe(
      "A command's fields (e.g. {\"feedback\": \"…\"}), validated by the command's schema; a signal's data, validated by its step's schema (400 naming `data.<field>`) and recorded as the step's output",
    ),
  })
  .strict();

/**
 * The ids the server hands out: a cursor, a stream revision, a log position. They are canonical
 * non-negative decimal integers (no sign, exponent, leading zero or space); anything else was not
 * handed out, so it is refused rather than read as "from the start".
 */
export const CANONICAL_INTEGER = /^(?:0|[1-9]\d{0,19})$/;

export const ListWorkflowsQuery = z.object({
  status: z.enum(WORKFLOW_STATUSES).optional(),
  definition: z.string().min(1).max(128).optional(),
  parent: z.string().min(1).max(256).optional().describe('Only the child workflows this workflow started'),
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

export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() }).meta({ id: 'FieldError' });

export const Problem = z
  .object({
    type: z.string().describe('urn:ecl:problem:<code in kebab case>'),
    title: z.string().describe('The same for every problem of this type'),
    status: z.number().int(),
    code: z.enum(PROBLEM_CODES).describe('Stable: branch on this'),
    detail: z.string().optional().describe('What went wrong with this request'),
    instance: z.string().optional(),
    errors: z.array(FieldErrorSchema).optional().describe('Field paths that failed validation'),
    state: AnyJson.optional().describe('EVENT_NOT_ACCEPTED: where the workflow is, as a dotted label (review.waiting, completed, blocked)'),
    accepts: z.array(z.string()).optional().describe('EVENT_NOT_ACCEPTED: the commands it accepts now'),
    workflowId: z.string().optional().describe('WORKFLOW_NOT_FOUND: the id asked for'),
  })
  .loose()
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' });

const Iso = z.string().describe('ISO 8601 date-time (UTC)');
const ParentLink = z
  .object({ workflowId: z.string(), step: z.string(), call: z.string() })
  .describe('Set on a child workflow: the workflow, step and call that started it');

export const WorkflowStatus = z
  .object({
    workflowId: z.string(),
    definition: z.string(),
    status: z.enum(WORKFLOW_STATUSES),
    revision: z.number().int().describe('Revision of the last event applied: resume SSE after it with Last-Event-ID'),
    version: z.number().int().describe('Definition version that runs it'),
    tenant: z.string().nullable(),
    state: AnyJson.nullable().describe('The machine\'s state value after the last event: {"review":"waiting"} in a step, "completed" once finished'),
    currentStep: z.string().nullable(),
    iterations: z.record(z.string(), z.number().int()).describe('Latest iteration per step'),
    createdAt: Iso,
    updatedAt: Iso,
    output: AnyJson.nullable().describe('The output once completed'),
    artifact: AnyJson.nullable().describe('Where a large output was stored'),
    error: AnyJson.nullable().describe(
      "The error of a failed workflow, `{ code, message, retryable }`: every failed workflow has one (e.g. its step's code, REJECTED, CAP_REACHED, DEADLINE_PASSED)",
    ),
    reason: z.string().nullable().describe("The latest decision's reason: why it failed, waits or is blocked, else the last choice made"),
    parent: ParentLink.optional(),
    accepts: z
      .array(z.string())
      .describe('The commands it accepts now, the name of the signal it waits for first; CANCEL while running; none once finished or blocked'),
    waitingFor: z
      .object({
        step: z.string(),
        kind: z.enum(['cap', 'budget', 'approval', 'signal']),
        signal: z.string().optional().describe('kind signal: the signal to send (as the event `type`)'),
        timeoutAt: Iso.optional().describe('kind signal: when it stops waiting; absent = no timeout'),
      })
      .optional()
      .describe("While waiting: what for — a loop's cap, the budget, an approval gate, or a signal"),
    wakeAt: Iso.optional().describe("While running: when a sleeping step or a failed attempt's retry wakes it"),
    wakeReason: z.enum(['sleep', 'retry']).optional().describe('What wakes it at wakeAt'),
    waitingOnChildren: z
      .array(z.string())
      .optional()
      .describe(
        'While running: the child workflows its step waits for, when every one of them waits for a person or a signal (or for children of its own that do): answer them to move it on. Set by the server that drives it',
      ),
    deadline: z
      .object({ at: Iso, onPass: z.enum(['fail', 'cancel']) })
      .optional()
      .describe('While live: by when it must be finished, and what happens if not'),
    progress: z
      .object({
        step: z.string(),
        fanOut: z.string().describe("The fan-out's name (`ctx.map('doc', …)`: doc)"),
        done: z.number().int().describe('Items with a recorded outcome (a value or an error)'),
        of: z.number().int().describe('All its items'),
      })
      .optional()
      .describe('While running a fan-out (ctx.map, ctx.parallel): how far it is (of two at once in one step, the one that moved last)'),
  })
  .meta({
    id: 'WorkflowStatus',
    description:
      "One workflow as the status read model holds it. A start is answered with the same fields folded from the workflow's own stream, so it never waits for the read model.",
  });

export const EventAccepted = z
  .object({
    workflowId: z.string(),
    type: z.string(),
    revision: z.number().int().describe('Stream revision of the event the command recorded; resume SSE from here (Last-Event-ID) to see everything after it'),
    lastRevision: z.number().int().describe('Stream revision of the last event appended with it (what the command caused, e.g. the next StepStarted)'),
    duplicate: z
      .literal(true)
      .optional()
      .describe('Present when the Idempotency-Key was recorded before: this answer is that first recording, and nothing new was written'),
  })
  .meta({ id: 'EventAccepted' });

export const WorkflowList = z
  .object({ items: z.array(WorkflowStatus), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last') })
  .meta({ id: 'WorkflowList' });

const nullableString = z.string().nullable();
const nullableInt = z.number().int().nullable();

export const AuditEntrySchema = z
  .object({
    workflowId: z.string(),
    revision: z.number().int(),
    position: z.number().int(),
    at: Iso,
    type: z.string().describe('The recorded event type'),
    step: nullableString,
    iteration: nullableInt,
    attempt: nullableInt,
    call: nullableString.describe("A journaled call's name (CallCompleted only); a fan-out item's call under its item's, doc/3/fetch"),
    sender: z.string().describe('API key id, `system`, `timer`, …'),
    verdict: nullableString,
    feedback: nullableString,
    model: nullableString,
    inputTokens: nullableInt,
    outputTokens: nullableInt,
    costUsd: z.number().nullable(),
    latencyMs: z.number().nullable(),
    promptHash: nullableString,
    payloadVersion: z.number().int().describe('Payload version as stored (before upcasting)'),
    summary: z.string().describe('One readable line'),
  })
  .meta({ id: 'AuditEntry', description: 'One readable line of a workflow history' });

export const DescendantSchema = z
  .object({
    workflowId: z.string(),
    definition: z.string(),
    status: z.string(),
    parentId: z.string().describe('The workflow whose step started it'),
    calls: z.number().int().describe('Model calls, each counted once'),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    costUsd: z.number(),
  })
  .meta({ id: 'Descendant', description: 'A child workflow (or a child of one), with its own model usage' });

export const AuditResponse = z
  .object({
    workflowId: z.string(),
    entries: z.array(AuditEntrySchema),
    descendants: z.array(DescendantSchema).describe('The workflows its steps started, theirs, and so on: parents before their children'),
  })
  .meta({ id: 'Audit' });

const UsageTotals = z.object({
  calls: z
    .number()
    .int()
    .describe(
      "Step outcomes that used the model: a step's model calls (journaled or a fan-out's) count once together, an attempt its step retried in the outcome's total. GET /v1/usage and the audit count each journaled call",
    ),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
});
const DurationSummary = z.object({ count: z.number().int(), p50Ms: z.number().nullable(), p95Ms: z.number().nullable() });
const StatusCounts = z.record(z.string(), z.number().int()).describe('Workflows per status');

export const MetricsSummarySchema = z
  .object({
    workflows: z.object({
      total: z.number().int(),
      byStatus: StatusCounts,
      byDefinition: z.record(z.string(), z.object({ total: z.number().int(), byStatus: StatusCounts })),
    }),
    usage: z.object({
      total: UsageTotals,
      byDefinition: z.array(UsageTotals.extend({ definition: z.string() })),
      byStep: z.array(UsageTotals.extend({ definition: z.string(), step: z.string() })),
      byModel: z.array(UsageTotals.extend({ model: z.string() })),
    }),
    revisions: z.array(z.object({ definition: z.string(), step: z.string(), revisions: z.number().int(), workflows: z.number().int() })),
    durations: z.object({
      steps: z.array(DurationSummary.extend({ definition: z.string(), step: z.string() })),
      workflows: z.array(DurationSummary.extend({ definition: z.string() })),
    }),
  })
  .meta({ id: 'MetricsSummary', description: "The metrics read model, for the caller's tenant" });

const JsonSchemaObject = z.record(z.string(), AnyJson).describe('A JSON Schema (draft 2020-12)');

export const DefinitionsResponse = z
  .object({
    definitions: z.array(
      z
        .object({
          name: z.string(),
          version: z.number().int(),
          description: z.string().optional(),
          inputSchema: JsonSchemaObject.describe('JSON Schema of the input'),
          commands: z
            .array(z.object({ type: z.string(), description: z.string().optional(), dataSchema: JsonSchemaObject }))
            .describe('The commands, then the signals its steps wait for (a signal is sent as an event whose `type` is its name)'),
        })
        .meta({ id: 'Definition' }),
    ),
  })
  .meta({ id: 'Definitions' });

export const HealthResponse = z
  .object({
    status: z.enum(['ok', 'shutting_down']),
    uptimeSeconds: z.number(),
    store: z.string(),
    projectionLag: z.number().int().describe('Log positions the read models are behind; -1 when unknown'),
  })
  .meta({ id: 'Health' });

/** SSE `transition`: a recorded event. */
export const StreamedTransition = z
  .object({
    workflowId: z.string(),
    revision: z.number().int(),
    position: z.string().describe('Global log position (decimal)'),
    type: z.string(),
    data: AnyJson,
    state: AnyJson.optional().describe('The machine state after the event'),
    step: nullableString,
    sender: nullableString,
    at: Iso,
  })
  .meta({
    id: 'Transition',
    description: 'SSE event `transition`: a recorded event; the SSE id is its revision (workflow stream) or position (tenant stream)',
  });

/** SSE `delta`: live model tokens, never recorded. */
export const StreamedDelta = z
  .object({ workflowId: z.string(), step: z.string(), iteration: z.number().int(), text: z.string() })
  .meta({ id: 'Delta', description: 'SSE event `delta`: model tokens as they stream (not recorded, no id)' });

/** SSE `end`: the workflow finished; the server closes the stream. */
export const StreamEnd = z
  .object({ workflowId: z.string(), type: z.string().describe('The terminal event type'), revision: z.number().int() })
  .meta({ id: 'StreamEnd', description: 'SSE event `end`: the workflow finished; the server closes the stream, and a reconnect gets 204' });

/** A short-lived, tenant-scoped credential for the SSE routes (`?token=`), for browsers' EventSource. */
export const StreamToken = z
  .object({ token: z.string(), expiresAt: Iso })
  .strict()
  .meta({ id: 'StreamToken', description: 'Pass as ?token= to the SSE routes instead of Authorization; valid until expiresAt' });

/** The console's reads (src/api/routes/console.ts). */
const StepStructureSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['produce', 'validate', 'approval', 'sleep', 'signal', 'route']),
    validates: z.string().optional().describe('validate: the producing step it judges'),
    revises: z.string().optional().describe('approval: the step a REQUEST_REVISION sends back to'),
    signal: z.string().optional().describe('signal: the signal it waits for'),
    onTimeout: z.enum(['fail', 'continue']).optional(),
    to: z.array(z.string()).optional().describe('route: the steps it may choose'),
    maxLoops: z.number().int().optional(),
    onCap: z.enum(['fail', 'continue']).optional(),
  })
  .meta({ id: 'StepStructure', description: "One step of a definition: what the console's statechart is drawn from" });

const UsageFigures = z.object({ inputTokens: z.number().int(), outputTokens: z.number().int(), costUsd: z.number() });

export const WorkflowHistory = z
  .object({
    workflowId: z.string(),
    definition: z.string(),
    version: z.number().int(),
    lastRevision: z.number().int(),
    steps: z.array(StepStructureSchema),
    revisions: z.array(
      z.object({
        revision: z.number().int(),
        type: z.string(),
        at: Iso,
        sender: z.string(),
        step: nullableString,
        state: AnyJson.describe('The machine state value after this event'),
        status: z.string().describe('running, waiting, completed, failed or cancelled after this event'),
        currentStep: nullableString,
        iterations: z.record(z.string(), z.number().int()),
        outputs: z.record(z.string(), AnyJson).describe('The step outputs this event set (fold them forward for the outputs at a revision)'),
        output: AnyJson.optional().describe("WorkflowCompleted: the workflow's output"),
        usage: UsageFigures.describe('Model usage of step outcomes up to this revision'),
      }),
    ),
    divergence: z.object({ revision: z.number().int(), reason: z.string() }).optional().describe('Where the fold stopped reproducing the record'),
  })
  .meta({
    id: 'WorkflowHistory',
    description: 'The stream folded through the definition version that wrote it (no model call): the state after every revision',
  });

export const DefinitionNameParams = z.object({ name: z.string().min(1).max(128) });

export const DefinitionVersions = z
  .object({
    name: z.string(),
    versions: z.array(z.object({ version: z.number().int(), description: z.string().optional(), steps: z.array(StepStructureSchema) })),
  })
  .meta({ id: 'DefinitionVersions' });

export const UsageQuery = z.object({
  ids: z
    .string()
    .max(16_384)
    .transform((text) => text.split(',').filter((id) => id !== ''))
    .pipe(z.array(WorkflowId).max(100))
    .describe('Workflow ids, comma-separated (at most 100)'),
});

export const WorkflowUsage = z
  .object({
    workflows: z
      .record(
        z.string(),
        UsageFigures.extend({ calls: z.number().int().describe("Model calls as the audit counts them: each journaled call (a fan-out item's together) once") }),
      )
      .describe('By workflow id; unknown ids are left out'),
  })
  .meta({ id: 'WorkflowUsage', description: 'Model usage per workflow, counted as its audit counts it' });

export const WorkersResponse = z
  .object({
    partitions: z.number().int().describe('Partitions the store splits workflows into (recorded in the store)'),
    workers: z.array(
      z
        .object({
          id: z.string(),
          role: z.enum(['worker', 'client']).describe('worker: ecl serve / ecl worker; client: ecl run / ecl send'),
          pid: z.number().int(),
          host: z.string(),
          startedAt: z.string(),
          lastSeen: z.string().describe('Its last heartbeat'),
          live: z.boolean().describe('Heartbeat within its lease TTL'),
          ttlMs: z.number().int(),
          partitions: z.array(z.number().int()).describe('Partitions it holds now'),
          lag: z.number().int().describe('How far its log follower was behind the head at its last heartbeat, in log positions'),
          liveWorkflows: z.number().int(),
          inFlight: z.number().int().describe('Workflows with a step in flight at its last heartbeat'),
          url: z.string().optional().describe('Its API, when it serves one'),
        })
        .meta({ id: 'Worker' }),
    ),
    unowned: z.array(z.number().int()).describe('Partitions nobody holds now: their workflows wait for a worker'),
  })
  .meta({ id: 'Workers', description: 'The workers sharing this store, their leases and lag (empty without a lease-keeping store)' });
