import { EventStoreError } from '../errors.js';
import type { OpenEventStoreOptions } from '../openEventStore.js';
import type { EventStore } from '../types.js';

export async function openSqliteEventStore(path: string, options: OpenEventStoreOptions & { url: string }): Promise<EventStore> {
  throw new EventStoreError('INVALID_STORE_URL', `The SQLite adapter is not built yet (${options.url}, ${path})`);
}
