import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore, EventToAppend, JsonValue, RecordedEvent } from '../../../src/eventstore/index.js';
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
export const allGoldens = (): Golden[] =>
  readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map(loadGolden);

export async function appendGolden(store: EventStore, golden: Golden): Promise<bigint> {
  return (await store.append(workflowStream(golden.workflowId), golden.events, { expectedRevision: 'no_stream' })).position;
}

/** The golden as a store would return it: positions from 1, revisions from 0. */
export const recordedGolden = (golden: Golden): RecordedEvent[] =>
  golden.events.map((event, revision) => ({
    id: event.id ?? `${golden.workflowId}-${revision}`,
    stream: workflowStream(golden.workflowId),
    type: event.type,
    revision,
    position: BigInt(revision + 1),
    data: event.data,
    metadata: event.metadata ?? {},
    created: new Date(0),
  }));
