import type { Database } from 'better-sqlite3';
import { createBufferedInsert } from './bufferedInsert.js';
import { metricsChangeOf, stepKey } from './metricsRules.js';
import type { ReadModel, ReadModelApplier } from './readModel.js';

/**
 * Metrics keep one row per contributing event, keyed by (workflow, revision), and aggregate when
 * queried: re-applying an event cannot double a total, and percentiles need the samples anyway.
 */
export const metricsReadModel: ReadModel = {
  name: 'metrics',
  // 4: an attempt its step retries is not counted (the outcome totals its calls again).
  schemaVersion: 4,
  migrate(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS metrics_workflows (
        workflow_id TEXT PRIMARY KEY, tenant TEXT, definition TEXT NOT NULL, version INTEGER NOT NULL,
        started_ms INTEGER NOT NULL, ended_ms INTEGER, outcome TEXT
      );
      -- One row per step outcome: its duration (completed steps) and its model call, if any.
      CREATE TABLE IF NOT EXISTS metrics_steps (
        workflow_id TEXT NOT NULL, revision INTEGER NOT NULL, tenant TEXT, definition TEXT NOT NULL, step TEXT NOT NULL, duration_ms REAL,
        model TEXT, input_tokens INTEGER, output_tokens INTEGER, cost_usd REAL, latency_ms REAL,
        PRIMARY KEY (workflow_id, revision)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS metrics_revisions (
        workflow_id TEXT NOT NULL, revision INTEGER NOT NULL, tenant TEXT, definition TEXT NOT NULL, step TEXT NOT NULL,
        PRIMARY KEY (workflow_id, revision)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS metrics_step_starts (
        workflow_id TEXT NOT NULL, step TEXT NOT NULL, started_ms INTEGER NOT NULL,
        PRIMARY KEY (workflow_id, step)
      ) WITHOUT ROWID;
    `);
  },
  drop(db) {
    // The tables of earlier schema versions too, so a rebuild leaves none behind.
    for (const table of ['metrics_workflows', 'metrics_steps', 'metrics_revisions', 'metrics_step_starts', 'metrics_llm', 'metrics_step_durations']) {
      db.exec(`DROP TABLE IF EXISTS ${table}`);
    }
  },
  createApplier: (db) => createMetricsApplier(db),
};

function createMetricsApplier(db: Database): ReadModelApplier {
  const started = db.prepare('INSERT OR IGNORE INTO metrics_workflows (workflow_id, tenant, definition, version, started_ms) VALUES (?, ?, ?, ?, ?)');
  const ended = db.prepare('UPDATE metrics_workflows SET ended_ms = ?, outcome = ? WHERE workflow_id = ? AND ended_ms IS NULL');
  // Nothing reads these two tables while a batch is applied: their rows are written several per statement.
  const stepOutcome = createBufferedInsert(db, 'INSERT OR IGNORE INTO metrics_steps', 11);
  const revision = createBufferedInsert(db, 'INSERT OR IGNORE INTO metrics_revisions', 5);
  const writeStepStart = db.prepare('INSERT OR REPLACE INTO metrics_step_starts VALUES (?, ?, ?)');
  const stepStartOf = db.prepare<[string, string], { started_ms: number }>('SELECT started_ms FROM metrics_step_starts WHERE workflow_id = ? AND step = ?');
  // The batch's latest start per (workflow, step), written once at the end of the batch.
  const stepStarts = new Map<string, { workflowId: string; step: string; at: number }>();
  const startOf = (workflowId: string, step: string): number | undefined =>
    stepStarts.get(stepKey(workflowId, step))?.at ?? stepStartOf.get(workflowId, step)?.started_ms;
  const clear = () => {
    stepOutcome.clear();
    revision.clear();
    stepStarts.clear();
  };
  return {
    apply(decoded) {
      const change = metricsChangeOf(decoded, startOf);
      if (change === undefined) return;
      if (change.kind === 'started') started.run(change.row);
      else if (change.kind === 'ended') ended.run(change.endedMs, change.outcome, change.workflowId);
      else if (change.kind === 'step') stepOutcome.add(change.row);
      else if (change.kind === 'revision') revision.add(change.row);
      else stepStarts.set(stepKey(change.workflowId, change.step), change);
    },
    flush() {
      stepOutcome.flush();
      revision.flush();
      for (const { workflowId, step, at } of stepStarts.values()) writeStepStart.run(workflowId, step, at);
      stepStarts.clear();
    },
    abort: clear,
  };
}
