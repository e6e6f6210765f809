import { afterAll, beforeAll, describe } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../support/embeddedPostgres.js';
import { givenOn, postgresReadModels } from './support/projectionSpec.js';
import { goldenProjectionSpecs } from './support/specs/goldenProjectionSpecs.js';
import { newStepKindSpecs } from './support/specs/newStepKindSpecs.js';
import { readModelSpecs } from './support/specs/readModelSpecs.js';

// The read-model specs of goldenProjections, readModels and newStepKinds (SQLite there), on
// read models kept in PostgreSQL: one server for the file, a fresh schema per history.
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
});

describe('read models in PostgreSQL', () => {
  const givenHistories = givenOn(postgresReadModels(() => postgres));
  goldenProjectionSpecs(givenHistories);
  readModelSpecs(givenHistories);
  newStepKindSpecs(givenHistories);
});
