import { z } from 'zod';
import { createEngine, defineWorkflow } from 'ecl-workflows';
import { createScriptedProvider, createTestEngine } from 'ecl-workflows/testing';
import { createApiClient } from 'ecl-workflows/client';

// Under exactOptionalPropertyTypes, a value that may be undefined can be passed where an option is
// optional, without a conditional spread: the options say `| undefined`.
const input = z.object({ system: z.string().optional(), temperature: z.number().optional() });
export const summary = defineWorkflow({
  name: 'summary',
  version: 1,
  input,
  steps: [
    {
      kind: 'produce',
      name: 'write',
      run: async (ctx) =>
        (await ctx.complete({ name: undefined, system: ctx.input.system, temperature: ctx.input.temperature, messages: [{ role: 'user', content: 'Hi' }] }))
          .text,
    },
  ],
});

export async function optionalArguments(maybeId: string | undefined, maybeKey: string | undefined, file: string | undefined): Promise<void> {
  const t = createTestEngine({ definitions: [summary], llm: createScriptedProvider({ file, script: { steps: {} }, callLog: undefined }), clock: undefined });
  await t.run(summary, {}, { id: maybeId, version: undefined, sender: undefined });
  await t.engine.send('w', { type: 'CANCEL' }, { commandId: maybeKey, sender: undefined });
  const client = createApiClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.ECL_API_KEY });
  await client.send('w', 'APPROVE', undefined, { idempotencyKey: maybeKey });
  void createEngine;
}
