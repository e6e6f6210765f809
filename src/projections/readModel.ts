import type { Database } from 'better-sqlite3';
import type { DecodedEvent } from './decodeEvent.js';

/**
 * A read model owns some tables of the projection database. The runner calls `apply` for each
 * event and `flush` once per batch, all inside the one transaction that also moves the checkpoint,
 * so a batch lands completely or not at all.
 */
export interface ReadModel {
  readonly name: string;
  /** Bump when the tables change shape: the runner then drops them and rebuilds from the log. */
  readonly schemaVersion: number;
  /** Creates the tables if they are missing. */
  migrate(db: Database): void;
  /** Drops the tables (rebuild, or a schema change). `migrate` follows. */
  drop(db: Database): void;
  createApplier(db: Database): ReadModelApplier;
}

export interface ReadModelApplier {
  /** Must be idempotent per (workflow, revision): applying an event twice changes nothing. */
  apply(event: DecodedEvent): void;
  /** Writes what `apply` buffered; called inside the batch transaction. */
  flush(): void;
  /** Forgets what `apply` buffered: the batch's transaction rolled back. */
  abort(): void;
}
