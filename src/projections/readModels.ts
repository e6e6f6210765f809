import { auditReadModel } from './auditReadModel.js';
import { metricsReadModel } from './metricsReadModel.js';
import type { ReadModel } from './readModel.js';
import { statusReadModel } from './statusReadModel.js';

export const DEFAULT_READ_MODELS: readonly ReadModel[] = [statusReadModel, auditReadModel, metricsReadModel];

/** What a set of read models is, as their checkpoint records it: a change rebuilds them from the log. */
export const readModelSchemaOf = (readModels: readonly Pick<ReadModel, 'name' | 'schemaVersion'>[]): string =>
  readModels.map((model) => `${model.name}@${model.schemaVersion}`).join(',');
