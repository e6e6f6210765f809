import { createHash } from 'node:crypto';
import { canonicalJson } from '../llm/index.js';

/** sha256 of the canonical input: same id + same hash = the same workflow (idempotent start). */
export const inputHashOf = (input: unknown): string => createHash('sha256').update(canonicalJson(input)).digest('hex');
