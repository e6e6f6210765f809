export { openKurrentDbEventStore } from './openKurrentDbEventStore.js';
export type { OpenKurrentDbEventStoreOptions } from './openKurrentDbEventStore.js';
export { parseKurrentDbUrl, redactUrl } from './storeUrl.js';
