export { openPostgresEventStore } from './openPostgresEventStore.js';
export type { PostgresEventStoreOptions } from './openPostgresEventStore.js';
export { DEFAULT_SCHEMA, parsePostgresUrl, redactPostgresUrl } from './storeUrl.js';
export { SCHEMA_VERSION } from './schema.js';
