import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { research } from '../../../examples/research/research.js';
import type { RecordedEvent } from '../../../src/eventstore/index.js';
import { createRegistry, type DefinitionRegistry } from '../../../src/machines/index.js';
import { SAMPLE_DEFINITIONS } from '../../support/definitions.js';
import { LANGUAGE_DEFINITIONS } from './languageDefinitions.js';

export const GOLDEN_DIR = join(import.meta.dirname, '../../fixtures/engine');
/**
 * Goldens of the language's constructs (sleep, signal, route, retry, deadline, fan-out, child, approval note), in their own folder: tests that
 * read GOLDEN_DIR itself (fold.unit, projections/replay.unit) know only the sample definitions.
 */
export const LANGUAGE_GOLDEN_DIR = join(GOLDEN_DIR, 'language');

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

export const loadGoldens = (dir = GOLDEN_DIR): { file: string; golden: GoldenHistory }[] =>
  readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, golden: JSON.parse(readFileSync(join(dir, file), 'utf8')) as GoldenHistory }));

/**
 * The definitions the goldens were written by: the samples, the journaled-calls example
 * (examples/research), and the definitions of the language's constructs (languageDefinitions.ts).
 */
export const goldenRegistry = (): DefinitionRegistry => createRegistry([...SAMPLE_DEFINITIONS, research, ...LANGUAGE_DEFINITIONS]);

/** A golden's event as a store hands it back, for the engine's own reading path (which upcasts old payloads). */
export const goldenRecordOf =
  (workflowId: string) =>
  (event: GoldenHistory['events'][number]): RecordedEvent => ({
    id: event.id,
    stream: `ecl.workflow-${workflowId}`,
    type: event.type,
    revision: event.revision,
    position: BigInt(event.revision + 1),
    data: event.data as RecordedEvent['data'],
    metadata: event.metadata as RecordedEvent['metadata'],
    created: new Date(0),
  });
