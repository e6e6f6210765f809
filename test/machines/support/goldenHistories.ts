import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { research } from '../../../examples/research/research.js';
import { createRegistry, type DefinitionRegistry } from '../../../src/machines/index.js';
import { SAMPLE_DEFINITIONS } from '../../support/definitions.js';

export const GOLDEN_DIR = join(import.meta.dirname, '../../fixtures/engine');

/** A recorded stream from a real run, with the state it must fold to. */
export interface GoldenHistory {
  description: string;
  workflowId: string;
  events: { id: string; revision: number; type: string; data: unknown; metadata: Record<string, unknown> }[];
  expected: {
    value: unknown;
    status: string;
    iterations: Record<string, number>;
    output: unknown;
    reason: string | null;
    usage: { inputTokens: number; outputTokens: number; costUsd: number };
  };
}

export const loadGoldens = (): { file: string; golden: GoldenHistory }[] =>
  readdirSync(GOLDEN_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, golden: JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as GoldenHistory }));

/** The definitions the goldens were written by: the samples, and the journaled-calls example (examples/research). */
export const goldenRegistry = (): DefinitionRegistry => createRegistry([...SAMPLE_DEFINITIONS, research]);
