import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore, EventToAppend, JsonValue } from '../../../src/eventstore/index.js';
import { workflowStream } from '../../../src/eventstore/index.js';

export interface Golden {
  file: string;
  description: string;
  workflowId: string;
  definition: string;
  version: number;
  finalState: JsonValue;
  lastRevision: number;
  events: EventToAppend[];
}

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'projections');

export const loadGolden = (file: string): Golden => ({ file, ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<Golden, 'file'>) });
export const allGoldens = (): Golden[] => readdirSync(dir).filter((file) => file.endsWith('.json')).sort().map(loadGolden);

export async function appendGolden(store: EventStore, golden: Golden): Promise<bigint> {
  return (await store.append(workflowStream(golden.workflowId), golden.events, { expectedRevision: 'no_stream' })).position;
}
