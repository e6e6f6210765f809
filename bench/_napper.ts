import { defineWorkflow } from 'ecl-workflows';
import { z } from 'zod';

/** One durable timer, due at the instant in the input (so a benchmark can make many workflows due at once). */
export const napper = defineWorkflow({
  name: 'napper',
  version: 1,
  input: z.object({ until: z.string() }),
  steps: [{ kind: 'sleep', name: 'nap', until: (ctx) => ctx.input.until }],
});
