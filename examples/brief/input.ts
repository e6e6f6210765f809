import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { CapPolicy, type InputLoader } from 'ecl-workflows';
import { z } from 'zod';

export const BriefDocument = z.object({ name: z.string().min(1), text: z.string() });
export type BriefDocument = z.infer<typeof BriefDocument>;

/** `brief`'s input as recorded: instructions plus the documents themselves, so a replay needs no file. */
export const BriefInput = z
  .object({
    instructions: z.string().trim().min(1, 'must not be empty'),
    documents: z.array(BriefDocument).min(1),
    maxIterations: z.number().int().min(1).max(10).default(3),
    onCap: CapPolicy.default('escalate'),
    approval: z.boolean().default(false),
  })
  .strict();
export type BriefInput = z.output<typeof BriefInput>;

/**
 * `ecl run brief --input @input.json` may name `files` (relative to the input file) instead of
 * `documents`: they are read here, on the machine of whoever starts the run, into inline documents.
 */
export const readInputFiles: InputLoader = (raw, { baseDir }) => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const { files, ...rest } = raw as Record<string, unknown>;
  if (!Array.isArray(files)) return raw;
  if ('documents' in rest) throw new Error('give either "documents" or "files", not both');
  const documents = files.map((path) => {
    if (typeof path !== 'string') throw new Error(`"files" holds paths, not ${JSON.stringify(path)}`);
    try {
      return { name: basename(path), text: readFileSync(resolve(baseDir, path), 'utf8') };
    } catch (error) {
      throw new Error(`cannot read input file ${path} (from ${baseDir}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        cause: error,
      });
    }
  });
  return { ...rest, documents };
};
