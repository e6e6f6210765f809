import { defineWorkflow } from 'ecl-workflows';
import { z } from 'zod';

export const Serial3Input = z.object({ label: z.string().optional() }).default({});

const noop = async () => null;

/** Three sequential no-op steps: the engine's own overhead, for the benchmarks and tests. */
export const serial3 = defineWorkflow({
  name: 'serial3',
  version: 1,
  description: 'Three sequential no-op steps',
  input: Serial3Input,
  steps: [
    { kind: 'produce', name: 'one', run: noop },
    { kind: 'produce', name: 'two', run: noop },
    { kind: 'produce', name: 'three', run: noop },
  ],
});
