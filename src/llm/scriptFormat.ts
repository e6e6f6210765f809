import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LlmError, type LlmErrorCode } from './errors.js';

const ERROR_CODES = [
  'RATE_LIMITED',
  'OVERLOADED',
  'SERVER_ERROR',
  'CONNECTION',
  'TIMEOUT',
  'AUTHENTICATION',
  'PERMISSION',
  'BAD_REQUEST',
  'NOT_FOUND',
  'REQUEST_TOO_LARGE',
  'INVALID_OUTPUT',
  'CANCELLED',
  'CIRCUIT_OPEN',
  'BULKHEAD_FULL',
  'SCRIPT_EXHAUSTED',
  'CONFIG',
] as const satisfies readonly LlmErrorCode[];
// Fails to compile when errors.ts gains a code this list lacks.
const exhaustive: [Exclude<LlmErrorCode, (typeof ERROR_CODES)[number]>] extends [never] ? true : never = true;
void exhaustive;

const Count = z.number().int().min(1);

/** One scripted answer. Filters (`iteration`, `attempt`, `call`) narrow when it applies; `times` caps how often it is used. */
export const ScriptEntry = z
  .strictObject({
    iteration: Count.optional(),
    attempt: Count.optional(),
    /**
     * The call it answers: a step's call by its name (`context.call`: `complete#1` or the request's
     * `name`); a fan-out item's by the item (`context.item`: `<fan-out>/<index>`, any model call of
     * the item) or by its path (`doc/1/complete#1`).
     */
    call: z.string().min(1).optional(),
    times: Count.optional(),
    text: z.string().optional(),
    output: z.unknown().optional(),
    error: z
      .strictObject({
        code: z.enum(ERROR_CODES),
        message: z.string().optional(),
        retryAfterMs: z.number().min(0).optional(),
        status: z.number().int().optional(),
      })
      .optional(),
    /** Wait before answering: milliseconds, or `"untilAborted"` to hang until the call's signal aborts (crash tests). */
    holdMs: z.union([z.number().min(0), z.literal('untilAborted')]).optional(),
    model: z.string().optional(),
    requestId: z.string().optional(),
    usage: z
      .strictObject({
        inputTokens: z.number().int().min(0),
        outputTokens: z.number().int().min(0),
        cacheReadTokens: z.number().int().min(0).optional(),
        cacheWriteTokens: z.number().int().min(0).optional(),
      })
      .optional(),
    costUsd: z.number().min(0).optional(),
    stopReason: z.string().optional(),
  })
  .refine((entry) => entry.text !== undefined || entry.output !== undefined || entry.error !== undefined, {
    message: 'an entry needs "text", "output" or "error"',
  })
  .refine((entry) => entry.error === undefined || (entry.text === undefined && entry.output === undefined), {
    message: '"error" cannot be combined with "text" or "output"',
  });
export type ScriptEntry = z.infer<typeof ScriptEntry>;

export const Script = z.strictObject({
  /** Model id reported in results; defaults to `ecl-scripted`. */
  model: z.string().optional(),
  /** Entries per step name, tried in order: the first whose filters match and whose `times` is not used up answers. */
  steps: z.record(z.string(), z.array(ScriptEntry)).default({}),
  /** Answers any call no step entry matches. */
  default: ScriptEntry.optional(),
  /** With `"offline"`, a call nothing matches is answered by the offline model instead of failing. */
  fallback: z.literal('offline').optional(),
});
export type Script = z.infer<typeof Script>;
/** A script as written (in code, or the JSON of a script file): the scripted provider's `script` option. */
export type LlmScript = z.input<typeof Script>;

/** Validates a script; the error names the source and the offending field. */
export function parseScript(value: unknown, source: string): Script {
  const parsed = Script.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
  throw new LlmError('CONFIG', `Invalid LLM script ${source}: ${problems}`);
}

export function loadScript(file: string): Script {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (error) {
    throw new LlmError('CONFIG', `Cannot read LLM script ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new LlmError('CONFIG', `LLM script ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseScript(json, file);
}

const formatPath = (path: readonly PropertyKey[]): string =>
  path.length === 0 ? '(root)' : path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`)).join('');
