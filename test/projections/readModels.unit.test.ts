import { givenHistories } from './support/projectionSpec.js';
import { readModelSpecs } from './support/specs/readModelSpecs.js';

// On SQLite here; readModelsOnPostgres.int.test.ts runs the same specs on PostgreSQL.
readModelSpecs(givenHistories);
