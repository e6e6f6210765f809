export { openPostgresProjections } from './openPostgresProjections.js';
export type { OpenPostgresProjectionsOptions, PostgresProjections } from './openPostgresProjections.js';
export type { PostgresProjectionRunner } from './postgresProjectionRunner.js';
