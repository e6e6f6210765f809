import { auditReadModel } from './auditReadModel.js';
import { metricsReadModel } from './metricsReadModel.js';
import type { ReadModel } from './readModel.js';
import { statusReadModel } from './statusReadModel.js';

export const DEFAULT_READ_MODELS: readonly ReadModel[] = [statusReadModel, auditReadModel, metricsReadModel];
