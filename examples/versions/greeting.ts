import { type JsonValue, defineWorkflow } from 'ecl-workflows';
import { z } from 'zod';

const GreetingInput = z.object({
  name: z.string().min(1).default('world'),
  /** Wait at the `approval` gate for a person (`ecl send <id> APPROVE`). */
  approval: z.boolean().default(false),
});

const textOf = (value: JsonValue | undefined): string => (typeof value === 'string' ? value : JSON.stringify(value ?? ''));

/**
 * Version 1: draft → approval? → publish. Kept exported, unchanged, for as long as a workflow it
 * started is unfinished (see docs/language/versions.md).
 */
export const greetingV1 = defineWorkflow({
  name: 'greeting',
  version: 1,
  description: 'Draft a greeting, optionally have a person approve it, publish it',
  input: GreetingInput,
  steps: [
    { kind: 'produce', name: 'draft', run: async ({ input }) => `Hello, ${input.name}.` },
    { kind: 'approval', name: 'approval', when: (input) => input.approval },
    { kind: 'produce', name: 'publish', run: async ({ outputs }) => `Published: ${textOf(outputs.draft)}` },
  ],
});

/** Version 2 adds a `polish` step: a new step is a new version, so v1's workflows finish on v1. */
export const greetingV2 = defineWorkflow({
  name: 'greeting',
  version: 2,
  description: 'Draft a greeting, polish it, optionally have a person approve it, publish it',
  input: GreetingInput,
  steps: [
    { kind: 'produce', name: 'draft', run: async ({ input }) => `Hello, ${input.name}.` },
    { kind: 'produce', name: 'polish', run: async ({ outputs }) => `${textOf(outputs.draft).replace(/\.$/, '')} — glad you are here!` },
    { kind: 'approval', name: 'approval', when: (input) => input.approval },
    { kind: 'produce', name: 'publish', run: async ({ outputs }) => `Published: ${textOf(outputs.polish)}` },
  ],
});
