import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';

export const refunds = defineWorkflow({
  name: 'refunds',
  version: 1,
  input: z.object({ ticket: z.string() }),
  outputs: { decide: z.object({ refund: z.boolean(), refundEur: z.number().optional() }) },
  steps: [
    { kind: 'produce', name: 'decide', run: async (ctx) => ({ refund: ctx.input.ticket.length > 3 }) },
    { kind: 'produce', name: 'tell', run: async (ctx) => `refund: ${ctx.outputs.decide?.refundEur ?? 0}` },
  ],
});
