import type { z } from 'zod';

/**
 * Parse options that word a missing value for people: `Required: expected string` rather than
 * zod's `Invalid input: expected string, received undefined` (or a bare `Invalid input` for a union
 * such as JSON), and `Required: expected one of "pass"|"revise"` for an enum or a literal. Every
 * issue about a value that is there keeps zod's message.
 */
export const READABLE_ISSUES: z.core.ParseContext<z.core.$ZodIssue> = {
  error: (issue) => {
    if (issue.input !== undefined) return undefined;
    if (issue.code === 'invalid_type') return `Required: expected ${issue.expected}`;
    if (issue.code === 'invalid_value') return `Required: expected one of ${issue.values.map((value) => JSON.stringify(value)).join('|')}`;
    return 'Required';
  },
};
