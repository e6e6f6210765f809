import { EventStoreError } from '../../eventstore/index.js';
import type { Migrations } from '../../eventstore/postgres/index.js';

/**
 * The read models' tables in the store's schema, beside the log: the same tables and columns as
 * the SQLite file (statusReadModel.ts, auditReadModel.ts, metricsReadModel.ts, checkpointStore.ts).
 * Text is collated "C" (code-point order, as SQLite compares), so lists and summaries sort the same
 * on both. A change of shape is a new step here and a new `schemaVersion` of the read model, which
 * then rebuilds from the log.
 */
export const READ_MODEL_MIGRATIONS: Migrations = {
  versionTable: 'read_model_version',
  newer: (version) =>
    new EventStoreError(
      'INVALID_STORE_URL',
      `the read-model tables were written by a newer ECL (read-model version ${version}; this one knows ${READ_MODEL_MIGRATIONS.steps.length})`,
    ),
  steps: [
    (s) => `
      CREATE TABLE ${s}.projection_checkpoint (
        name       text COLLATE "C" PRIMARY KEY,
        position   bigint,
        generation integer NOT NULL DEFAULT 0,
        schema     text    NOT NULL DEFAULT ''
      );
      CREATE TABLE ${s}.projection_skips (
        reason        text COLLATE "C" NOT NULL,
        detail        text COLLATE "C" NOT NULL,
        count         bigint NOT NULL,
        last_position bigint NOT NULL,
        PRIMARY KEY (reason, detail)
      );
      CREATE TABLE ${s}.workflow_status (
        workflow_id text COLLATE "C" PRIMARY KEY, tenant text COLLATE "C", definition text COLLATE "C" NOT NULL, version integer NOT NULL,
        status text COLLATE "C" NOT NULL, state text, current_step text COLLATE "C", iterations text NOT NULL, revision integer NOT NULL,
        started_position bigint NOT NULL, created_at text NOT NULL, updated_at text NOT NULL,
        output text, artifact text, error text, reason text, parent text,
        waiting_for text, wake_at text, wake_kind text, deadline text
      );
      CREATE INDEX workflow_status_by_start ON ${s}.workflow_status (started_position);
      CREATE INDEX workflow_status_by_status ON ${s}.workflow_status (status, started_position);
      CREATE TABLE ${s}.audit_entries (
        workflow_id text COLLATE "C" NOT NULL, revision integer NOT NULL, position bigint NOT NULL, at text NOT NULL, type text COLLATE "C" NOT NULL,
        step text COLLATE "C", iteration integer, attempt integer, call text, sender text NOT NULL, verdict text, feedback text, model text COLLATE "C",
        input_tokens bigint, output_tokens bigint, cost_usd double precision, latency_ms double precision, prompt_hash text,
        payload_version integer NOT NULL, summary text NOT NULL,
        PRIMARY KEY (workflow_id, revision)
      );
      CREATE TABLE ${s}.metrics_workflows (
        workflow_id text COLLATE "C" PRIMARY KEY, tenant text COLLATE "C", definition text COLLATE "C" NOT NULL, version integer NOT NULL,
        started_ms bigint NOT NULL, ended_ms bigint, outcome text
      );
      CREATE TABLE ${s}.metrics_steps (
        workflow_id text COLLATE "C" NOT NULL, revision integer NOT NULL, tenant text COLLATE "C", definition text COLLATE "C" NOT NULL,
        step text COLLATE "C" NOT NULL, duration_ms double precision,
        model text COLLATE "C", input_tokens bigint, output_tokens bigint, cost_usd double precision, latency_ms double precision,
        PRIMARY KEY (workflow_id, revision)
      );
      CREATE TABLE ${s}.metrics_revisions (
        workflow_id text COLLATE "C" NOT NULL, revision integer NOT NULL, tenant text COLLATE "C", definition text COLLATE "C" NOT NULL,
        step text COLLATE "C" NOT NULL,
        PRIMARY KEY (workflow_id, revision)
      );
      CREATE TABLE ${s}.metrics_step_starts (
        workflow_id text COLLATE "C" NOT NULL, step text COLLATE "C" NOT NULL, started_ms bigint NOT NULL,
        PRIMARY KEY (workflow_id, step)
      );`,
    // Status read model v5: children found by their parent's id.
    (s) => `
      ALTER TABLE ${s}.workflow_status ADD COLUMN parent_id text COLLATE "C";
      CREATE INDEX workflow_status_by_parent ON ${s}.workflow_status (parent_id);`,
    // Status read model v8: a running step's fan-out progress.
    (s) => `ALTER TABLE ${s}.workflow_status ADD COLUMN progress text;`,
  ],
};

/** The tables a rebuild empties (not the checkpoint's). */
export const READ_MODEL_TABLES = [
  'workflow_status',
  'audit_entries',
  'metrics_workflows',
  'metrics_steps',
  'metrics_revisions',
  'metrics_step_starts',
] as const;
