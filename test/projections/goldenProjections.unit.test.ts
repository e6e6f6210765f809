import { givenHistories } from './support/projectionSpec.js';
import { goldenProjectionSpecs } from './support/specs/goldenProjectionSpecs.js';

// On SQLite here; readModelsOnPostgres.int.test.ts runs the same specs on PostgreSQL.
goldenProjectionSpecs(givenHistories);
