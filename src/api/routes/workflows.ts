import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { assertAccepting, principalOf, type ApiContext } from '../context.js';
import { READABLE_ISSUES } from '../../machines/index.js';
import { ApiError } from '../errors.js';
import { CreateWorkflowBody, StartWorkflowQuery } from '../schemas.js';
import { externalize, scopeOf } from '../tenancy.js';
import { fieldErrors, parseOr } from '../validate.js';

/** POST /v1/workflows: start a workflow, idempotently per (id, input); with `?wait=`, answer with its result. */
export function registerWorkflowRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/v1/workflows', async (request, reply) => {
    const principal = principalOf(request);
    const scope = scopeOf(principal);
    const { wait } = parseOr(StartWorkflowQuery, request.query, 'INVALID_QUERY', 'Bad query parameters');
    const body = parseOr(CreateWorkflowBody, request.body, 'INVALID_BODY', 'The request body is not a valid workflow start');
    const definition = ctx.runtime.definitions().find((candidate) => candidate.name === body.definition);
    if (definition === undefined) {
      const known = ctx.runtime.definitions().map((candidate) => candidate.name);
      throw new ApiError('UNKNOWN_DEFINITION', `No workflow definition named "${body.definition}"`, {
        errors: [{ path: 'definition', message: `unknown definition; known: ${known.join(', ')}` }],
      });
    }
    // Checked here against the newest version's schema. The engine checks, with the same answer,
    // an older version's input and a start with an id: for an id that exists the version that
    // started it judges, so a start retried across a deploy that changed the schema is the same start.
    const parsedInput =
      body.id === undefined && (body.version ?? definition.version) === definition.version
        ? definition.input.safeParse(body.input, READABLE_ISSUES)
        : undefined;
    if (parsedInput?.success === false) {
      throw new ApiError('INVALID_INPUT', `The input does not match the "${definition.name}" input schema`, {
        errors: fieldErrors(parsedInput.error, 'input'),
      });
    }
    assertAccepting(ctx);
    const id = body.id ?? randomUUID();
    const workflowId = scope.internal(id);
    const started = await ctx.runtime.start({
      workflowId,
      definition: definition.name,
      ...(body.version === undefined ? {} : { version: body.version }),
      input: body.input,
      tenant: scope.tenant,
      sender: principal.keyId,
      waitMs: wait === undefined ? undefined : wait * 1000,
    });
    // Not finished within the wait (still running, or waiting for a person or a signal): 202.
    const code = started.outcome === 'running' || started.outcome === 'waiting' ? 202 : started.created ? 201 : 200;
    return reply
      .code(code)
      .header('Location', `/v1/workflows/${encodeURIComponent(id)}`)
      .send(externalize(started.status, scope));
  });
}
