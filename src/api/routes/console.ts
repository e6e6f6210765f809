import type { FastifyInstance } from 'fastify';
import { workflowStream, type JsonValue, type RecordedEvent } from '../../eventstore/index.js';
import type { DefinitionRegistry, WorkflowEvent } from '../../machines/index.js';
import { type AuditEntry, auditUsage } from '../../projections/index.js';
import { replayHistory, type ReplayTransition } from '../../replay/index.js';
import { principalOf, readYourWrites, type ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { DefinitionNameParams, UsageQuery, WorkflowIdParams } from '../schemas.js';
import { externalize, scopeOf } from '../tenancy.js';
import { parseOr } from '../validate.js';
import { notFound, recordedFor } from './queries.js';

/** Events read per page while folding a history. */
const PAGE = 500;

/**
 * Reads the web console needs beyond the plain API: a workflow's history folded per revision
 * (time travel, zero model calls), a definition's steps per version (its graph), and token usage
 * per workflow for a page of the list. Folding needs the definitions themselves (their machines),
 * so without a registry these answer as if the definition were unknown.
 */
export function registerConsoleRoutes(app: FastifyInstance, ctx: ApiContext, registry: DefinitionRegistry | undefined): void {
  app.get('/v1/workflows/:id/history', async (request) => {
    const scope = scopeOf(principalOf(request));
    const { id } = parseOr(WorkflowIdParams, request.params, 'INVALID_ID', 'Bad workflow id');
    const workflowId = scope.internal(id);
    const events = await readAll(ctx, workflowId);
    const first = events[0];
    if (first === undefined || !recordedFor(scope, (first.metadata as { tenant?: unknown }).tenant)) throw notFound(id);
    const { definition, version } = first.data as { definition?: string; version?: number };
    const found = typeof definition === 'string' && typeof version === 'number' ? registry?.get(definition, version) : undefined;
    if (found === undefined)
      throw new ApiError('UNKNOWN_DEFINITION', `${String(definition)} v${String(version)} is not registered on this server: its history cannot be folded`);
    const revisions: Array<Record<string, unknown>> = [];
    const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
    const result = replayHistory(workflowId, events, {
      definitionFor: (name, at) => registry?.get(name, at),
      onTransition: (transition) => revisions.push(revisionOf(transition, usage)),
    });
    return externalize(
      {
        workflowId,
        definition: result.definition,
        version: result.version,
        lastRevision: result.lastRevision,
        steps: found.structure.steps,
        revisions,
        ...(result.divergence === undefined ? {} : { divergence: result.divergence }),
      },
      scope,
    );
  });

  app.get('/v1/definitions/:name/versions', async (request) => {
    principalOf(request);
    const { name } = parseOr(DefinitionNameParams, request.params, 'INVALID_QUERY', 'Bad definition name');
    const versions = registry?.versions(name) ?? [];
    if (versions.length === 0)
      throw new ApiError('DEFINITION_NOT_FOUND', `No definition "${name.slice(0, 128)}" is registered on this server (GET /v1/definitions lists them)`);
    return {
      name,
      versions: versions.flatMap((version) => {
        const definition = registry?.get(name, version);
        if (definition === undefined) return [];
        return [{ version, ...(definition.description === undefined ? {} : { description: definition.description }), steps: definition.structure.steps }];
      }),
    };
  });

  app.get('/v1/usage', async (request) => {
    const scope = scopeOf(principalOf(request));
    const { ids } = parseOr(UsageQuery, request.query, 'INVALID_QUERY', 'Bad query parameters');
    await readYourWrites(ctx);
    const workflows: Record<string, { inputTokens: number; outputTokens: number; costUsd: number; calls: number }> = {};
    for (const id of ids) {
      const entries = (await ctx.queries.getAudit(scope.internal(id))) as AuditEntry[] | undefined;
      if (entries === undefined || entries.length === 0) continue;
      // As `ecl audit` counts: each journaled model call (a fan-out item's together) once, a step's outcome only for calls not journaled.
      workflows[id] = auditUsage(entries);
    }
    return { workflows };
  });
}

async function readAll(ctx: ApiContext, workflowId: string): Promise<RecordedEvent[]> {
  const stream = workflowStream(workflowId);
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await ctx.store.readStream(stream, { from: events.length === 0 ? 0 : events[events.length - 1]!.revision + 1, limit: PAGE });
    events.push(...page);
    if (page.length < PAGE) return events;
  }
}

type Usage = { inputTokens: number; outputTokens: number; costUsd: number };

/** One folded revision: the state after it, and the outputs it changed (a client folds those forward). */
function revisionOf(transition: ReplayTransition, usage: Usage): Record<string, unknown> {
  const event = transition.event as WorkflowEvent;
  const data = event.data as Record<string, unknown>;
  const outputs: Record<string, JsonValue> = {};
  if (event.type === 'StepCompleted') outputs[event.data.step] = event.data.output as JsonValue;
  if (event.type === 'SignalReceived') outputs[event.data.step] = event.data.data as JsonValue;
  const llm = data.llm as { inputTokens?: number; outputTokens?: number; costUsd?: number } | undefined;
  if ((event.type === 'StepCompleted' || event.type === 'StepFailed') && llm !== undefined) {
    usage.inputTokens += llm.inputTokens ?? 0;
    usage.outputTokens += llm.outputTokens ?? 0;
    usage.costUsd += llm.costUsd ?? 0;
  }
  const view = viewOfValue(transition.after);
  return {
    revision: transition.revision,
    type: transition.type,
    at: transition.at,
    sender: transition.sender,
    step: typeof data.step === 'string' ? data.step : null,
    state: transition.after,
    status: view.status,
    currentStep: view.step,
    iterations: transition.iterations,
    outputs,
    ...(event.type === 'WorkflowCompleted' ? { output: event.data.output as JsonValue } : {}),
    usage: { ...usage },
  };
}

const FINISHED: Record<string, string> = { completed: 'completed', failed: 'failed', cancelled: 'cancelled', idle: 'running' };

/** `{ review: 'waiting' }` -> waiting at review; `completed` -> completed. */
function viewOfValue(value: JsonValue): { status: string; step: string | null } {
  if (typeof value === 'string') return { status: FINISHED[value] ?? 'running', step: null };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { status: 'running', step: null };
  const [step, phase] = Object.entries(value)[0] ?? [];
  return { status: phase === 'waiting' ? 'waiting' : 'running', step: step ?? null };
}
