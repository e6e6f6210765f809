import { z } from 'zod';

/** A source to read: its text inline, or a URL the `gather` step fetches (a journaled call). */
export const Source = z
  .object({
    name: z.string().trim().min(1),
    url: z.url({ protocol: /^https?$/ }).optional(),
    text: z.string().optional(),
  })
  .strict()
  .refine((source) => (source.url === undefined) !== (source.text === undefined), { message: 'give a source either "url" or "text"' });
export type Source = z.infer<typeof Source>;

/** `research`'s input as recorded: the question, the sources (names unique: they name the journaled calls), an optional webhook. */
export const ResearchInput = z
  .object({
    question: z.string().trim().min(1, 'must not be empty'),
    sources: z
      .array(Source)
      .min(1)
      .max(10)
      .refine((sources) => new Set(sources.map((source) => source.name)).size === sources.length, { message: 'source names must be unique' }),
    /** POSTed the answer once, as a journaled call (`notify`). */
    webhook: z.url({ protocol: /^https?$/ }).optional(),
  })
  .strict();
export type ResearchInput = z.output<typeof ResearchInput>;
