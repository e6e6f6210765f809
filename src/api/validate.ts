import type { z } from 'zod';
import { READABLE_ISSUES } from '../machines/index.js';
import { ApiError, type FieldError, type ProblemCode } from './errors.js';

/** `['data', 'files', 0, 'name']` -> `data.files[0].name`; the root is `(root)`. */
export const fieldPath = (path: readonly PropertyKey[], prefix?: string): string => {
  const text = path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`)).join('');
  if (prefix === undefined) return text === '' ? '(root)' : text;
  return text === '' ? prefix : text.startsWith('[') ? `${prefix}${text}` : `${prefix}.${text}`;
};

export const fieldErrors = (error: z.ZodError, prefix?: string): FieldError[] =>
  error.issues.slice(0, 50).map((issue) => ({ path: fieldPath(issue.path, prefix), message: issue.message }));

/** Parses or throws a 400 problem listing every failing field path. */
export function parseOr<S extends z.ZodType>(schema: S, value: unknown, code: ProblemCode, title: string, prefix?: string): z.output<S> {
  const result = schema.safeParse(value, READABLE_ISSUES);
  if (result.success) return result.data;
  throw new ApiError(code, title, { errors: fieldErrors(result.error, prefix) });
}
