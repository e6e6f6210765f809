import { z } from 'zod';

/**
 * The recorded workflow events: one zod schema per event, and everything else (names, payload
 * types, guards, the union) derives from these. The stream is the audit trail, so payloads say
 * what happened and why. Payloads carry a `v` (schema version); older versions are upcast on read.
 */

const Json = z.json();
const Step = z.string().min(1);
const Iteration = z.number().int().min(1);
const Attempt = z.number().int().min(1);

export const ErrorInfo = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
});

/** What a model call cost and who answered it: recorded with every LLM outcome. */
export const LlmAccounting = z.object({
  model: z.string(),
  requestId: z.string().optional(),
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  cacheReadTokens: z.number().int().min(0).optional(),
  cacheWriteTokens: z.number().int().min(0).optional(),
  costUsd: z.number().min(0),
  latencyMs: z.number().min(0),
  attempts: z.number().int().min(1),
  promptHash: z.string(),
});

/** A large output lives in the artifact store; the event keeps its hash and a preview. */
export const ArtifactRef = z.object({
  hash: z.string(),
  bytes: z.number().int().min(0),
  preview: z.string(),
  path: z.string().optional(),
});

export const Verdict = z.enum(['approve', 'revise']);
/**
 * What happens when a validating step's loop reaches `maxIterations` still asking for a revision:
 * `fail` the workflow, `accept` the last output and go on, or `escalate` to a person. A zod enum.
 */
export const CapPolicy = z.enum(['fail', 'accept', 'escalate']);
export const HumanDecision = z.enum(['approve', 'reject', 'request_revision']);
export const BudgetPolicy = z.enum(['fail', 'escalate']);

/**
 * What a validating step returns: `approve` the judged output, or `revise` it, sending `feedback`
 * to the producing step's next iteration. A zod schema (the runtime checks every verdict with it)
 * and its type.
 */
export const Judgement = z.object({ verdict: Verdict, feedback: z.string() });

export const LoopPolicy = z.object({ maxIterations: Iteration, onCap: CapPolicy });
/**
 * A workflow's spending limit: `maxTokens` (input + output tokens of every model call) and/or
 * `maxCostUsd`, checked after each step completes; over it, `onExceed` `fail`s the workflow or
 * `escalate`s to a person. A zod schema and its type.
 */
export const Budget = z.object({
  maxTokens: z.number().int().min(1).optional(),
  maxCostUsd: z.number().min(0).optional(),
  onExceed: BudgetPolicy,
});
/** Per-workflow policies, resolved at start from the definition and the input. */
export const Policies = z.object({
  /** Per validating step. */
  loops: z.record(z.string(), LoopPolicy),
  /** Per approval gate: whether it is enabled for this workflow. */
  approvals: z.record(z.string(), z.boolean()),
  budget: Budget.optional(),
  /** When the whole workflow must be finished (ISO), and what happens when it is not: `fail` or `cancel`. */
  deadline: z.object({ at: z.string(), onPass: z.enum(['fail', 'cancel']) }).optional(),
});
export type Judgement = z.infer<typeof Judgement>;
export type CapPolicy = z.infer<typeof CapPolicy>;
export type LoopPolicy = z.infer<typeof LoopPolicy>;
export type Budget = z.infer<typeof Budget>;
export type Policies = z.infer<typeof Policies>;

const event = <T extends string, S extends z.ZodRawShape>(type: T, data: S) =>
  z.object({ type: z.literal(type), data: z.object({ v: z.literal(1).default(1), ...data }) });

export const WorkflowStarted = event('WorkflowStarted', {
  workflowId: z.string().min(1),
  definition: z.string().min(1),
  version: z.number().int().min(1),
  input: Json,
  /** sha256 of the canonical input: same id + same hash = idempotent start. */
  inputHash: z.string(),
  /**
   * Caps, cap policies, approval gates and budget resolved from the definition and the input at
   * start. Recorded so that replay never re-derives them from code that may have changed.
   */
  policies: Policies.optional(),
  /** Set on a child workflow (`ctx.child`, a fan-out item's `call.child`): the workflow, step and journaled call that started it. */
  parent: z.object({ workflowId: z.string().min(1), step: z.string().min(1), call: z.string().min(1) }).optional(),
});

export const StepStarted = event('StepStarted', {
  step: Step,
  iteration: Iteration,
  attempt: Attempt,
  /** Deterministic per (workflow, step, iteration): `<workflowId>/<step>/<iteration>`. */
  idempotencyKey: z.string(),
  /** ISO time at which the step times out: a recorded due time, so it still fires after a restart. */
  timeoutAt: z.string().optional(),
});

export const StepCompleted = event('StepCompleted', {
  step: Step,
  iteration: Iteration,
  attempt: Attempt,
  output: Json,
  artifact: ArtifactRef.optional(),
  llm: LlmAccounting.optional(),
  durationMs: z.number().min(0).optional(),
});

export const StepFailed = event('StepFailed', {
  step: Step,
  iteration: Iteration,
  attempt: Attempt,
  error: ErrorInfo,
  llm: LlmAccounting.optional(),
  /**
   * The attempt failed and the step's retry policy runs it again at this ISO time, as the next
   * attempt (a recorded due time, so the retry also happens after a restart). Absent: the step failed.
   */
  retryAt: z.string().optional(),
});

/** How a step reached the outside world: `run` (`ctx.run(name, fn)`) or `complete` (`ctx.complete`, a model call). */
export const CallKind = z.enum(['run', 'complete']);

/**
 * One journaled call inside a running step (`ctx.run` or `ctx.complete`), recorded as soon as it
 * returned and before the step goes on. A re-run of the step (a later attempt of the same
 * iteration) gets this outcome back instead of calling again. Exactly one of `output` and `error`
 * is present (the machine refuses anything else). Model usage is in `llm` for the audit; the
 * step's outcome totals it again (usage and budgets count step outcomes, so nothing is counted twice).
 */
export const CallCompleted = event('CallCompleted', {
  step: Step,
  iteration: Iteration,
  /** The attempt that made the call; later attempts replay it without calling. */
  attempt: Attempt,
  /** The call's name: unique within the step's iteration, or within its `item` (`complete#<n>` for an unnamed model call). */
  call: z.string().min(1),
  kind: CallKind,
  /** 0-based position of the call in the step's run (or its item's): the same on every attempt, so a re-run can be checked against it. */
  seq: z.number().int().min(0),
  /** What the call returned, as JSON (`{ text, output?, stopReason? }` for a model call). */
  output: Json.optional(),
  /** What the call threw, after its own retries: thrown again, as recorded, on every re-run. */
  error: ErrorInfo.optional(),
  /** A model call's accounting (also of a failed one, when the provider reports it). */
  llm: LlmAccounting.optional(),
  /** Wall time of the call, from the engine's clock. */
  durationMs: z.number().min(0).optional(),
  /** An item of a fan-out (`ctx.map`, `ctx.parallel`): the fan-out's name and its number of items, so progress reads `12 of 40`. */
  fanOut: z.object({ name: z.string().min(1), items: z.number().int().min(1) }).optional(),
  /**
   * A call a fan-out item made (`call.run`, `call.complete`): the item's call name (`doc/3`). Such
   * a call has its own journal, the item's: `call` is unique and `seq` counts within the item, and
   * a re-run of the item gets its outcome back. Absent: a call of the step itself.
   */
  item: z.string().min(1).optional(),
});

export const RevisionRequested = event('RevisionRequested', {
  /** The step whose output is sent back. */
  step: Step,
  /** The validating step (or `human`) that asked. */
  by: z.string(),
  iteration: Iteration,
  verdict: z.literal('revise'),
  feedback: z.string(),
});

export const IterationCapReached = event('IterationCapReached', {
  step: Step,
  iterations: Iteration,
  maxIterations: Iteration,
  policy: CapPolicy,
});

export const BudgetExceeded = event('BudgetExceeded', {
  step: Step,
  limit: z.enum(['tokens', 'costUsd']),
  max: z.number(),
  used: z.number(),
  policy: z.enum(['fail', 'escalate']),
});

export const HumanInputRequested = event('HumanInputRequested', {
  step: Step,
  reason: z.string(),
  /** Commands the workflow accepts while it waits. */
  accepts: z.array(z.string()),
});

export const HumanDecisionReceived = event('HumanDecisionReceived', {
  step: Step,
  decision: HumanDecision,
  feedback: z.string().optional(),
  /** An approver's note on APPROVE, recorded for the audit. */
  note: z.string().optional(),
});

/** A `sleep` step began: the workflow resumes at `until` (ISO), also after a restart. */
export const SleepStarted = event('SleepStarted', {
  step: Step,
  until: z.string(),
});

/** A `sleep` step's due time came (recorded by the timer, possibly late after a restart). */
export const SleepEnded = event('SleepEnded', {
  step: Step,
  until: z.string(),
});

/** A `signal` step began waiting for the named signal, until `timeoutAt` (ISO) when it has a timeout. */
export const SignalAwaited = event('SignalAwaited', {
  step: Step,
  signal: z.string().min(1),
  timeoutAt: z.string().optional(),
});

/** The awaited signal arrived with its data (checked against the step's schema): the step's output. */
export const SignalReceived = event('SignalReceived', {
  step: Step,
  signal: z.string().min(1),
  data: Json,
});

/** The awaited signal did not arrive by `timeoutAt`: `fail` the workflow, or `continue` with a `null` output. */
export const SignalTimedOut = event('SignalTimedOut', {
  step: Step,
  signal: z.string().min(1),
  timeoutAt: z.string(),
  policy: z.enum(['fail', 'continue']),
});

/**
 * A `route` step chose where the workflow goes next. `chose` is what the route's function
 * returned; `to` is where it goes (the step after the route when a loop's cap was reached with
 * `onCap: 'continue'`); `loops` counts the route's back-edges taken so far, this one included.
 */
export const RouteChosen = event('RouteChosen', {
  step: Step,
  chose: Step,
  to: Step,
  loops: z.number().int().min(0),
  capReached: z.boolean().optional(),
});

export const WorkflowCompleted = event('WorkflowCompleted', {
  output: Json,
  artifact: ArtifactRef.optional(),
});

export const WorkflowFailed = event('WorkflowFailed', {
  reason: z.string(),
  error: ErrorInfo.optional(),
});

export const WorkflowCancelled = event('WorkflowCancelled', {
  reason: z.string(),
});

export const WorkflowEvent = z.discriminatedUnion('type', [
  WorkflowStarted,
  StepStarted,
  StepCompleted,
  StepFailed,
  CallCompleted,
  RevisionRequested,
  IterationCapReached,
  BudgetExceeded,
  HumanInputRequested,
  HumanDecisionReceived,
  SleepStarted,
  SleepEnded,
  SignalAwaited,
  SignalReceived,
  SignalTimedOut,
  RouteChosen,
  WorkflowCompleted,
  WorkflowFailed,
  WorkflowCancelled,
]);

/**
 * A recorded workflow event, `{ type, data }`: the union of every event's schema, discriminated
 * by `type`. Every `data` carries `v`, its payload version.
 */
export type WorkflowEvent = z.infer<typeof WorkflowEvent>;
/** The name of a recorded workflow event, e.g. `StepCompleted`. */
export type WorkflowEventType = WorkflowEvent['type'];
export type WorkflowEventOf<T extends WorkflowEventType> = Extract<WorkflowEvent, { type: T }>;
export const WORKFLOW_EVENT_TYPES = WorkflowEvent.options.map((option) => option.shape.type.value) as readonly WorkflowEventType[];
export const isWorkflowEventType = (type: string): type is WorkflowEventType => (WORKFLOW_EVENT_TYPES as readonly string[]).includes(type);
export const TERMINAL_EVENT_TYPES = ['WorkflowCompleted', 'WorkflowFailed', 'WorkflowCancelled'] as const satisfies readonly WorkflowEventType[];
const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_EVENT_TYPES);
/** Whether an event of this type ends the workflow (completed, failed or cancelled). */
export const isTerminalEventType = (type: string | undefined): boolean => type !== undefined && TERMINAL.has(type);

/**
 * Metadata on every recorded workflow event (beside the store's `$correlationId`/`$causationId`).
 * `sender` is an API key id, `system` (the runtime) or `timer`. `at` is the decision time, which
 * enters as data, so machines never read a clock.
 */
export const WorkflowEventMetadata = z.object({
  $correlationId: z.string().optional(),
  $causationId: z.string().optional(),
  workflowId: z.string(),
  tenant: z.string().optional(),
  definition: z.string(),
  version: z.number().int(),
  step: z.string().optional(),
  iteration: z.number().int().optional(),
  attempt: z.number().int().optional(),
  sender: z.string(),
  at: z.string(),
  /** The machine's state value after this event, as JSON: lets read models show it without re-folding. */
  state: z.string().optional(),
  /** On a command's event sent with the caller's id (`SendOptions.commandId`): that id, so a resend finds it. */
  commandId: z.string().optional(),
  /** With `commandId`: how many events its batch appended, itself included (what it caused at once). */
  batchLength: z.number().int().min(1).optional(),
});
export type WorkflowEventMetadata = z.infer<typeof WorkflowEventMetadata>;
