import type { z } from 'zod';

/**
 * Parse options that word a missing value for people: `Required: expected string` rather than
 * zod's `Invalid input: expected string, received undefined` (or a bare `Invalid input` for a union
 * such as JSON). Every issue about a value that is there keeps zod's message.
 */
export const READABLE_ISSUES: z.core.ParseContext<z.core.$ZodIssue> = {
  error: (issue) => {
    if (issue.input !== undefined) return undefined;
    return issue.code === 'invalid_type' ? `Required: expected ${issue.expected}` : 'Required';
  },
};
