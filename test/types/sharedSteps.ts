import { z } from 'zod';
import { defineWorkflow, type ProduceStepSpec, type SignalStepSpec } from '../../src/index.js';

// Steps shared by two versions keep their types (names, signals, outputs) when declared
// `as const satisfies <Kind>StepSpec<Input, typeof outputs>`: the pattern docs/language/versions.md shows.
// (Steps taken from `v1.steps` are typed `StepSpec<I, NoOutputSchemas>`: names and signals become strings.)

const input = z.object({ topic: z.string() });
const outputs = { draft: z.object({ text: z.string() }), review: z.object({ ok: z.boolean() }).nullable() };
type In = z.output<typeof input>;

const draft = { kind: 'produce', name: 'draft', run: async (ctx) => ({ text: `about ${ctx.input.topic}` }) } as const satisfies ProduceStepSpec<
  In,
  typeof outputs
>;
const review = { kind: 'signal', name: 'review', signal: 'reviewed' } as const satisfies SignalStepSpec<In, typeof outputs>;
const publish = { kind: 'produce', name: 'publish', run: async (ctx) => ctx.outputs.draft?.text ?? '' } as const satisfies ProduceStepSpec<In, typeof outputs>;

export const v1 = defineWorkflow({ name: 'doc', version: 1, input, outputs, steps: [draft, review, publish] });
export const v2 = defineWorkflow({
  name: 'doc',
  version: 2,
  input,
  outputs,
  steps: [draft, review, { kind: 'produce', name: 'polish', run: async () => 'x' }, publish],
});
v2.signal('reviewed', { ok: true });
// @ts-expect-error not a signal of v2
v2.signal('bogus', {});
// @ts-expect-error data of the wrong shape
v1.signal('reviewed', { ok: 'yes' });
