import { givenHistories } from './support/projectionSpec.js';
import { newStepKindSpecs } from './support/specs/newStepKindSpecs.js';

// On SQLite here; readModelsOnPostgres.int.test.ts runs the same specs on PostgreSQL.
newStepKindSpecs(givenHistories);
