export { openPostgresEventStore } from './openPostgresEventStore.js';
export type { PostgresEventStoreOptions } from './openPostgresEventStore.js';
export { DEFAULT_SCHEMA, parsePostgresUrl, redactPostgresUrl } from './storeUrl.js';
export { SCHEMA_VERSION } from './schema.js';
// For the read models kept in the same database (src/projections/postgres): one migration
// mechanism, one error translation, one LISTEN connection pattern.
export { migrate, quoteIdentifier } from './schema.js';
export type { Migrations } from './schema.js';
export { describePgError, isConfigurationError, toStoreError } from './pgErrors.js';
export { createNotificationListener } from './notificationListener.js';
export type { NotificationListener, NotificationListenerOptions } from './notificationListener.js';
