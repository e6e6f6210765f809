export { openSqliteEventStore } from './openSqliteEventStore.js';
export type { SqliteEventStoreOptions } from './openSqliteEventStore.js';
export { SCHEMA_VERSION } from './schema.js';
