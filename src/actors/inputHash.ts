import { createHash } from 'node:crypto';
import { canonicalJson } from '../llm/index.js';
import type { AnyWorkflowDefinition } from '../machines/index.js';
import { parseInput } from './parseInput.js';

/** sha256 of the canonical input: same id + same hash = the same workflow (idempotent start). */
export const inputHashOf = (input: unknown): string => createHash('sha256').update(canonicalJson(input)).digest('hex');

/**
 * Whether `input` is the input a workflow recorded as `recordedHash`, as the version that started
 * it (`started`) parses it: a start retried across a deploy of a version with another input schema
 * is still the same start. `askedHash`: the input as the asked version parsed it, when it could.
 */
export function isRecordedInput(recordedHash: string, started: AnyWorkflowDefinition, input: unknown, askedHash: string | undefined): boolean {
  if (askedHash === recordedHash) return true;
  try {
    return inputHashOf(parseInput(started, input)) === recordedHash;
  } catch {
    return false;
  }
}
