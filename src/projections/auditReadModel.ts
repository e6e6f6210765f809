import type { Database } from 'better-sqlite3';
import { auditEntryOf, type AuditEntry } from './auditEntry.js';
import { createBufferedInsert } from './bufferedInsert.js';
import type { ReadModel, ReadModelApplier } from './readModel.js';

/** Each column of `audit_entries` with the `AuditEntry` field it holds, in table order. */
export const AUDIT_FIELDS = [
  ['workflow_id', 'workflowId'],
  ['revision', 'revision'],
  ['position', 'position'],
  ['at', 'at'],
  ['type', 'type'],
  ['step', 'step'],
  ['iteration', 'iteration'],
  ['attempt', 'attempt'],
  ['call', 'call'],
  ['sender', 'sender'],
  ['verdict', 'verdict'],
  ['feedback', 'feedback'],
  ['model', 'model'],
  ['input_tokens', 'inputTokens'],
  ['output_tokens', 'outputTokens'],
  ['cost_usd', 'costUsd'],
  ['latency_ms', 'latencyMs'],
  ['prompt_hash', 'promptHash'],
  ['payload_version', 'payloadVersion'],
  ['summary', 'summary'],
] as const satisfies readonly (readonly [string, keyof AuditEntry])[];

/** `SELECT` list that returns rows shaped as `AuditEntry` (quoted aliases keep their case on PostgreSQL too). */
export const AUDIT_SELECT = AUDIT_FIELDS.map(([column, field]) => `${column} AS "${field}"`).join(', ');

export const auditReadModel: ReadModel = {
  name: 'audit',
  // 2: a journaled call's name (`call`). 3: summaries of sleeps, signals, routes, retried attempts and approvers' notes.
  // 4: a fan-out item and its own calls read as the item's (`gather item "doc/2" call "fetch"`), not numbered as the step's calls.
  schemaVersion: 4,
  migrate(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit_entries (
        workflow_id TEXT NOT NULL, revision INTEGER NOT NULL, position INTEGER NOT NULL, at TEXT NOT NULL, type TEXT NOT NULL,
        step TEXT, iteration INTEGER, attempt INTEGER, call TEXT, sender TEXT NOT NULL, verdict TEXT, feedback TEXT, model TEXT,
        input_tokens INTEGER, output_tokens INTEGER, cost_usd REAL, latency_ms REAL, prompt_hash TEXT,
        payload_version INTEGER NOT NULL, summary TEXT NOT NULL,
        PRIMARY KEY (workflow_id, revision)
      ) WITHOUT ROWID;
    `);
  },
  drop(db) {
    db.exec('DROP TABLE IF EXISTS audit_entries');
  },
  createApplier: (db) => createAuditApplier(db),
};

export const AUDIT_KEYS = AUDIT_FIELDS.map(([, field]) => field);

function createAuditApplier(db: Database): ReadModelApplier {
  // OR IGNORE: an entry is keyed by (workflow, revision), so a second application is a no-op.
  const insert = createBufferedInsert(db, `INSERT OR IGNORE INTO audit_entries (${AUDIT_FIELDS.map(([column]) => column).join(', ')})`, AUDIT_FIELDS.length);
  return {
    apply(decoded) {
      const entry = auditEntryOf(decoded);
      insert.add(AUDIT_KEYS.map((key) => entry[key]));
    },
    flush: () => insert.flush(),
    abort: () => insert.clear(),
  };
}
