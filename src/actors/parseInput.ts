import type { JsonValue } from '../eventstore/index.js';
import { READABLE_ISSUES, type AnyWorkflowDefinition } from '../machines/index.js';
import { EngineError, formatIssues } from './errors.js';

/**
 * A workflow's input as its definition's schema parses it; `INVALID_INPUT` naming each wrong
 * field otherwise. `start` records what this returns; a caller at the edge (`ecl run`) may call it
 * first, to refuse bad input before it opens a store.
 */
export function parseInput(definition: AnyWorkflowDefinition, input: unknown): JsonValue {
  const parsed = definition.input.safeParse(input, READABLE_ISSUES);
  if (parsed.success) return parsed.data as JsonValue;
  const issues = formatIssues(parsed.error.issues);
  throw new EngineError('INVALID_INPUT', `Invalid input for ${definition.name} v${definition.version}: ${issues.join('; ')}`, { issues });
}
