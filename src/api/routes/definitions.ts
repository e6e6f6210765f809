import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { DefinitionInfo } from '../ports.js';

/** JSON Schema of a zod type as a client would send it; parts JSON Schema cannot say become `{}`. */
export const jsonSchemaOf = (schema: z.ZodType): Record<string, unknown> => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
};

/** GET /v1/definitions: each definition's input JSON Schema and the commands and signals it accepts. */
export function registerDefinitionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // The runtime hands out the same list until the definitions change (`ecl serve --watch`).
  let cachedFor: readonly DefinitionInfo[] | undefined;
  let cached: unknown;
  app.get('/v1/definitions', async () => {
    const definitions = ctx.runtime.definitions();
    if (definitions !== cachedFor) {
      cachedFor = definitions;
      cached = {
        definitions: definitions.map((definition) => ({
          name: definition.name,
          version: definition.version,
          ...(definition.description === undefined ? {} : { description: definition.description }),
          inputSchema: jsonSchemaOf(definition.input),
          commands: definition.commands.map((command) => ({
            type: command.type,
            ...(command.description === undefined ? {} : { description: command.description }),
            dataSchema: jsonSchemaOf(command.data),
          })),
        })),
      };
    }
    return cached;
  });
}
