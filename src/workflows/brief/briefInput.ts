import { z } from 'zod';
import { CapPolicy } from '../../machines/events.js';

export const BriefDocument = z.object({ name: z.string().min(1), text: z.string() });

/** `brief`'s input: instructions plus either inline documents or files the extract step reads. */
export const BriefInput = z
  .object({
    instructions: z.string().trim().min(1, 'must not be empty'),
    documents: z.array(BriefDocument).min(1).optional(),
    files: z.array(z.string().min(1)).min(1).optional(),
    maxIterations: z.number().int().min(1).max(10).default(3),
    onCap: CapPolicy.default('escalate'),
    approval: z.boolean().default(false),
  })
  .strict()
  .superRefine((input, context) => {
    if ((input.documents === undefined) === (input.files === undefined)) {
      context.addIssue({ code: 'custom', path: ['documents'], message: 'give either "documents" or "files" (exactly one of them)' });
    }
  });
export type BriefInput = z.output<typeof BriefInput>;
export type BriefDocument = z.infer<typeof BriefDocument>;
