import { expect } from 'vitest';
import { createMemoryEventStore } from '../../../src/eventstore/memoryEventStore.js';
import type { RecordedEvent } from '../../../src/eventstore/index.js';
import {
  DEFAULT_READ_MODELS,
  createProjectionQueries,
  createProjectionRunner,
  decodeEvent,
  defaultUpcasterRegistry,
  openProjectionDatabase,
  type IsRegistered,
  type ProjectionDatabase,
  type ProjectionQueries,
} from '../../../src/projections/index.js';
import { recordedFrom, type History } from './historyBuilder.js';

/** Every row of every read-model table, in a stable order: two databases compare equal iff they hold the same read models. */
export function dumpReadModels(db: ProjectionDatabase): Record<string, unknown[]> {
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'projection_%' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all();
  return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM ${name} ORDER BY 1, 2`).all()]));
}

/**
 * Given/when/then for projections (after emmett's projection specification): given these
 * histories, when their events are applied, then the read models answer so — and applying the
 * same events a second time, through the runner or straight to the read models, changes nothing.
 */
export function givenHistories(histories: readonly History[] | readonly RecordedEvent[], options: { isRegistered?: IsRegistered } = {}) {
  const events: RecordedEvent[] = isRecorded(histories) ? [...histories] : recordedFrom(histories as History[]);
  const db = openProjectionDatabase(':memory:');
  const runner = createProjectionRunner({ store: createMemoryEventStore(), db, batchSize: 7 });
  for (let index = 0; index < events.length; index += 7) runner.applyEvents(events.slice(index, index + 7));
  const once = dumpReadModels(db);

  const again = runner.applyEvents(events);
  expect(again.applied + again.skipped).toBe(0);
  expect(dumpReadModels(db)).toEqual(once);

  const twice = openProjectionDatabase(':memory:');
  createProjectionRunner({ store: createMemoryEventStore(), db: twice });
  const appliers = DEFAULT_READ_MODELS.map((model) => model.createApplier(twice));
  const upcasters = defaultUpcasterRegistry();
  twice.transaction(() => {
    for (let round = 0; round < 2; round += 1) {
      for (const event of events) {
        const decoded = decodeEvent(event, upcasters);
        if (decoded.ok) for (const applier of appliers) applier.apply(decoded.decoded);
      }
      for (const applier of appliers) applier.flush();
    }
  })();
  expect(dumpReadModels(twice)).toEqual(once);
  twice.close();

  const queries: ProjectionQueries = createProjectionQueries(db, options);
  return {
    then: (assert: (queries: ProjectionQueries, context: { db: ProjectionDatabase; runner: typeof runner }) => void) => assert(queries, { db, runner }),
  };
}

const isRecorded = (items: readonly unknown[]): items is readonly RecordedEvent[] =>
  items.length > 0 && typeof (items[0] as { position?: unknown }).position === 'bigint';
