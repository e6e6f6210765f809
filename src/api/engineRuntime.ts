import { missingOnDriver, type WorkflowDriver } from '../cluster/index.js';
import { filter, map } from 'rxjs';
import type { Engine, EngineCommand, SendResult } from '../actors/index.js';
import { isEngineError } from '../actors/index.js';
import { workflowStream, type EventStore } from '../eventstore/index.js';
import type { LlmPolicyStats } from '../llm/index.js';
import { z } from 'zod';
import { SIGNAL_NAME, type AnyWorkflowDefinition, type DefinitionRegistry } from '../machines/index.js';
import { ApiError } from './errors.js';
import { statusOfEvents, statusOfStream } from '../projections/index.js';
import type { ApiRuntime, CommandInfo, DefinitionInfo, TokenDelta, WorkflowStatusView } from './ports.js';
import { createOutcomeWaiters } from './outcomeWaiters.js';
import { COMMANDS } from './commandInfo.js';

/** The signals a definition's `signal` steps wait for, as commands whose data is the step's schema (declared in `outputs` or on the step). */
const signalsOf = (definition: AnyWorkflowDefinition): CommandInfo[] =>
  definition.steps.flatMap((step) =>
    step.kind === 'signal'
      ? [
          {
            type: step.signal,
            description: `Signal for step "${step.name}"; its data becomes the step's output`,
            data: definition.signalSchema(step.name) ?? z.json(),
          },
        ]
      : [],
  );

export interface EngineRuntimeOptions {
  engine: Engine;
  definitions: DefinitionRegistry;
  store: EventStore;
  /** Breaker state of the model provider, when it has one. */
  llm?: { name: string; stats?: () => LlmPolicyStats };
  /** In a cluster: the worker that drives a workflow's partition, with the definitions it loaded. */
  driverOf?: (workflowId: string) => WorkflowDriver | undefined;
}

/** The API's command side over the engine: maps its results and errors to problems. */
export function createEngineRuntime({ engine, definitions, store, llm, driverOf }: EngineRuntimeOptions): ApiRuntime {
  // Rebuilt only when the registry's latest definitions change (`ecl serve --watch` swaps them).
  let cachedFor: AnyWorkflowDefinition[] = [];
  let cached: DefinitionInfo[] = [];
  const isRegistered = (definition: string, version: number) => definitions.get(definition, version) !== undefined;
  const waiters = createOutcomeWaiters(engine);
  const statusOf = async (workflowId: string): Promise<WorkflowStatusView> => {
    const status = statusOfStream(await store.readStream(workflowStream(workflowId)), { isRegistered }) as WorkflowStatusView | undefined;
    if (status === undefined) throw new ApiError('INTERNAL', `Workflow ${workflowId} started but its stream is empty`);
    return status;
  };
  /** A new workflow the worker that would drive it cannot load is refused: recorded, it would sit unrun. */
  const assertDeployed = async (workflowId: string, name: string, version: number | undefined): Promise<void> => {
    if (driverOf === undefined) return;
    const definition = definitions.get(name, version);
    const missing = definition === undefined ? undefined : missingOnDriver(driverOf(workflowId), definition);
    if (missing === undefined) return;
    // A start retried for a workflow that exists is answered with it, as always.
    if ((await store.readStream(workflowStream(workflowId), { limit: 1 })).length > 0) return;
    throw new ApiError('DEFINITION_NOT_DEPLOYED', missing.replaceAll('\n', ' '));
  };
  return {
    definitions() {
      const latest = definitions.names().flatMap((name) => definitions.get(name) ?? []);
      if (latest.length !== cachedFor.length || latest.some((definition, index) => definition !== cachedFor[index])) {
        cachedFor = latest;
        cached = latest.map((definition) => ({
          name: definition.name,
          version: definition.version,
          description: definition.description,
          input: definition.input,
          commands: [...COMMANDS, ...signalsOf(definition)],
        }));
      }
      return cached;
    },

    async start({ workflowId, definition, version, input, tenant, sender, waitMs }) {
      const options = { id: workflowId, sender, ...(tenant === undefined ? {} : { tenant }), ...(version === undefined ? {} : { version }) };
      await assertDeployed(workflowId, definition, version);
      const begin = async () => {
        try {
          return (await engine.start(definition, input, options)).created;
        } catch (error) {
          throw startProblem(error, definition, version ?? definitions.get(definition)?.version, version !== undefined);
        }
      };
      if (waitMs === undefined) {
        const created = await begin();
        return { created, status: await statusOf(workflowId) };
      }
      // Watched from before the start, the answer to a wait is folded from the transitions seen
      // rather than read back; from the stream when they are not the whole of it.
      const watch = waiters.watch(workflowId);
      try {
        const created = await begin();
        const settled = await watch.settled(waitMs);
        const seen = settled === undefined ? undefined : (statusOfEvents(watch.seen, { isRegistered }) as WorkflowStatusView | undefined);
        const status = seen ?? (await statusOf(workflowId));
        // Waiting through its family: the children its step waits for, each waiting for someone.
        const children = settled === 'waiting' && status.status === 'running' ? await engine.waitingOn(workflowId) : undefined;
        return { created, outcome: settled ?? 'running', status: children === undefined ? status : { ...status, waitingOnChildren: children } };
      } finally {
        watch.close();
      }
    },

    async send({ workflowId, type, data, sender, commandId }) {
      // A command's data are its fields; a signal's data are its payload.
      // What the client sent, unchecked: the engine checks it (and the route checked a command's fields).
      const command = (SIGNAL_NAME.test(type) ? { type, data } : { ...(data as object | undefined), type }) as EngineCommand;
      const result = await engine.send(workflowId, command, { sender, ...(commandId === undefined ? {} : { commandId }) }).catch((error: unknown) => {
        // Blocked (its version is not registered here): it accepts nothing now, which is the client's to know, not a server error.
        if (isEngineError(error) && error.code === 'UNKNOWN_DEFINITION_VERSION')
          throw new ApiError(
            'EVENT_NOT_ACCEPTED',
            'The workflow is blocked: the definition version that started it is not registered on this server, so it accepts nothing until a server with that version runs it (its status gives the reason)',
            {
              state: 'blocked',
              accepts: [],
            },
          );
        throw error;
      });
      if (!result.accepted) throw sendProblem(result);
      return { revision: result.revision, lastRevision: result.lastRevision, ...(result.duplicate === true ? { duplicate: true } : {}) };
    },

    waitingOn: (workflowId) => engine.waitingOn(workflowId),

    async untilAtRest(workflowId, waitMs, signal) {
      if (signal?.aborted === true) return undefined;
      const watch = waiters.watch(workflowId);
      const stop = () => watch.close();
      signal?.addEventListener('abort', stop, { once: true });
      try {
        // The answer is read from the stream, as a start's wait is: the read models may not have it yet.
        return (await watch.settled(waitMs)) === undefined ? undefined : await statusOf(workflowId);
      } finally {
        signal?.removeEventListener('abort', stop);
        watch.close();
      }
    },

    deltas: engine.feed.pipe(
      filter((event) => event.kind === 'delta'),
      map((event): TokenDelta => ({ workflowId: event.workflowId, step: event.step, iteration: event.iteration, text: event.text })),
    ),

    resilience: () => ({ breakers: llm?.stats === undefined ? [] : [{ name: llm.name, state: llm.stats().breaker }] }),
  };
}

/** `version`: the version that judged the input (the one asked for, or the newest). */
function startProblem(error: unknown, definition: string, version: number | undefined, versionAsked: boolean): unknown {
  if (!isEngineError(error)) return error;
  switch (error.code) {
    case 'UNKNOWN_DEFINITION':
    case 'UNKNOWN_DEFINITION_VERSION':
      // The route found the name: with a version asked for, it is the version that is unknown.
      return new ApiError('UNKNOWN_DEFINITION', error.message, { errors: [{ path: versionAsked ? 'version' : 'definition', message: error.message }] });
    case 'INVALID_INPUT':
      return new ApiError('INVALID_INPUT', `The input does not match the input schema of "${definition}"${version === undefined ? '' : ` v${version}`}`, {
        errors: error.issues.map((line) => issueOf(line, 'input')),
      });
    case 'INPUT_TOO_LARGE':
      return new ApiError('PAYLOAD_TOO_LARGE', error.message, { errors: [{ path: 'input', message: error.message }] });
    case 'INVALID_WORKFLOW_ID':
      return new ApiError('INVALID_ID', error.message);
    case 'WORKFLOW_CONFLICT':
      return new ApiError('WORKFLOW_EXISTS', 'A workflow with this id already exists with another definition or input; use another id');
    case 'CONCURRENCY_CONFLICT':
      return new ApiError('CONCURRENT_UPDATE', error.message);
    case 'ENGINE_CLOSED':
      return new ApiError('SHUTTING_DOWN', 'The server is shutting down');
    default:
      return error;
  }
}

function sendProblem(result: Extract<SendResult, { accepted: false }>): ApiError {
  switch (result.code) {
    case 'WORKFLOW_NOT_FOUND':
      return new ApiError('WORKFLOW_NOT_FOUND', 'No such workflow');
    case 'UNKNOWN_COMMAND':
      return new ApiError('UNKNOWN_EVENT_TYPE', result.message, { errors: [{ path: 'type', message: result.message }] });
    case 'INVALID_COMMAND':
      return new ApiError('INVALID_EVENT_DATA', result.message, { errors: invalidCommandIssues(result.message) });
    case 'COMMAND_NOT_ALLOWED':
      return new ApiError('EVENT_NOT_ACCEPTED', result.message, { state: result.state ?? null, accepts: result.accepts });
    case 'COMMAND_ID_REUSED':
      return new ApiError('IDEMPOTENCY_KEY_REUSED', result.message, { errors: [{ path: 'Idempotency-Key', message: result.message }] });
    case 'CONCURRENCY_CONFLICT':
      return new ApiError('CONCURRENT_UPDATE', result.message);
    case 'ENGINE_CLOSED':
      return new ApiError('SHUTTING_DOWN', 'The server is shutting down');
  }
}

/** `documents[0].name: Required` -> `{ path: 'input.documents[0].name', message: 'Required' }`. */
const issueOf = (line: string, prefix: string) => {
  const split = line.indexOf(': ');
  const path = split < 0 ? '' : line.slice(0, split);
  return { path: path === '' || path.startsWith('(') ? prefix : `${prefix}.${path}`, message: split < 0 ? line : line.slice(split + 2) };
};

const invalidCommandIssues = (message: string) =>
  message
    .replace(/^Invalid (\S+ command|data for signal \S+): /, '')
    .split('; ')
    .map((line) => issueOf(line, 'data'));
