import type { FastifyInstance } from 'fastify';
import { COMMAND_ID_PATTERN } from '../../actors/index.js';
import type { z } from 'zod';
import { assertAccepting, principalOf, type ApiContext } from '../context.js';
import { ApiError, isApiError } from '../errors.js';
import { SendEventBody, WorkflowIdParams } from '../schemas.js';
import { scopeOf } from '../tenancy.js';
import { fieldErrors, parseOr } from '../validate.js';
import type { CommandInfo, DefinitionInfo } from '../ports.js';
import { READABLE_ISSUES, SIGNAL_NAME, commandMeant } from '../../machines/index.js';
import { notFound } from './queries.js';
import { COMMANDS } from '../commandInfo.js';

/** POST /v1/workflows/:id/events: send a command (APPROVE, REQUEST_REVISION, CANCEL, ...) or a signal (`type` = its lowercase name, `data` its payload). */
export function registerEventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/v1/workflows/:id/events', async (request, reply) => {
    const principal = principalOf(request);
    const scope = scopeOf(principal);
    const params = request.params as { id?: unknown };
    const id = typeof params.id === 'string' && params.id.length <= 256 ? params.id : parseOr(WorkflowIdParams, params, 'INVALID_ID', 'Bad workflow id').id;
    const workflowId = scope.internal(id);
    const body = isPlainCommand(request.body) ? request.body : parseOr(SendEventBody, request.body, 'INVALID_BODY', invalidBodyMessage(request.body));
    const known = knownCommands(ctx);
    const command = known.get(body.type);
    // A signal's data is checked by the workflow, against the schema of the step that waits for it
    // (a 400 when its definition has no such signal, a 409 when it does not wait for it now).
    const signal = SIGNAL_NAME.test(body.type);
    if (command === undefined && !signal) {
      ctx.metrics.observeCommand('(unknown)', 'rejected');
      const message = `"${body.type.slice(0, 64)}" is neither a command nor a signal name; known: ${[...known.keys()].join(', ')}${commandMeant(body.type)}`;
      throw new ApiError('UNKNOWN_EVENT_TYPE', message, { errors: [{ path: 'type', message }] });
    }
    const checked = signal || command === undefined ? undefined : command.data.safeParse(body.data ?? {}, READABLE_ISSUES);
    if (checked?.success === false) {
      ctx.metrics.observeCommand(body.type, 'rejected');
      throw new ApiError('INVALID_EVENT_DATA', `The data of ${body.type} is not valid`, { errors: fieldErrors(checked.error, 'data') });
    }
    // Node joins a repeated header with ", ": the distinct values tell one key from two (an injected
    // request, as `app.inject` makes, has only the joined headers).
    const header = request.headers['idempotency-key'];
    const commandId = idempotencyKeyOf(request.raw.headersDistinct?.['idempotency-key'] ?? (header === undefined ? undefined : [header].flat()));
    assertAccepting(ctx);
    try {
      const outcome = await ctx.runtime.send({ workflowId, type: body.type, data: body.data, sender: principal.keyId, commandId });
      ctx.metrics.observeCommand(body.type, outcome.duplicate === true ? 'duplicate' : 'accepted');
      return reply.code(202).send({
        workflowId: id,
        type: body.type,
        revision: outcome.revision,
        lastRevision: outcome.lastRevision ?? outcome.revision,
        ...(outcome.duplicate === true ? { duplicate: true } : {}),
      });
    } catch (error) {
      if (isApiError(error)) ctx.metrics.observeCommand(body.type, 'rejected');
      // Named by the client's id, as the queries name it.
      if (isApiError(error) && error.code === 'WORKFLOW_NOT_FOUND') throw notFound(id);
      throw error;
    }
  });
}

/** The Idempotency-Key header, given once: 1-255 visible ASCII characters without spaces (a UUID, say), or none. */
function idempotencyKeyOf(headers: readonly string[] | undefined): string | undefined {
  if (headers === undefined) return undefined;
  const [header] = headers;
  if (headers.length === 1 && header !== undefined && COMMAND_ID_PATTERN.test(header)) return header;
  throw new ApiError(
    'INVALID_HEADER',
    'The idempotency key (Idempotency-Key) must be one header of 1-255 visible ASCII characters without spaces, e.g. a UUID',
    {
      errors: [{ path: 'Idempotency-Key', message: 'one value of 1-255 visible ASCII characters without spaces' }],
    },
  );
}

/**
 * What SendEventBody accepts, checked without zod for the usual body: `type` a string of 1-64
 * characters, `data` anything (a parsed JSON body is JSON) or absent, nothing else. Any other body
 * goes through the schema, which names every failing field.
 */
function isPlainCommand(body: unknown): body is z.output<typeof SendEventBody> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  for (const key in body) if (key !== 'type' && key !== 'data') return false;
  const { type } = body as { type?: unknown };
  return typeof type === 'string' && type.length >= 1 && type.length <= 64;
}

/** Fields beside `type` and `data` are most likely a command's, sent as the engine takes them: say where they go. */
function invalidBodyMessage(body: unknown): string {
  const extra = typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).some((key) => key !== 'type' && key !== 'data');
  return extra
    ? 'The request body is not a valid command: a command\'s fields and a signal\'s payload go in `data`, e.g. {"type":"APPROVE","data":{"note":"…"}}'
    : 'The request body is not a valid command';
}

const commandsByDefinitions = new WeakMap<readonly DefinitionInfo[], Map<string, CommandInfo>>();

/**
 * Every command, and every signal a latest definition waits for, by type; built once per
 * definitions list. All commands, whatever the latest definitions accept: a workflow still
 * running on an older version may wait at a gate its newest version dropped.
 */
function knownCommands(ctx: ApiContext): Map<string, CommandInfo> {
  const definitions = ctx.runtime.definitions();
  let commands = commandsByDefinitions.get(definitions);
  if (commands === undefined) {
    commands = new Map(COMMANDS.map((command) => [command.type, command]));
    for (const definition of definitions) for (const command of definition.commands) if (!commands.has(command.type)) commands.set(command.type, command);
    commandsByDefinitions.set(definitions, commands);
  }
  return commands;
}
