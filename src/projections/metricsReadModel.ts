import type { Database } from 'better-sqlite3';
import type { ReadModel, ReadModelApplier } from './readModel.js';

/**
 * Metrics keep one row per contributing event, keyed by (workflow, revision), and aggregate when
 * queried: re-applying an event cannot double a total, and percentiles need the samples anyway.
 */
export const metricsReadModel: ReadModel = {
  name: 'metrics',
  schemaVersion: 2,
  migrate(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS metrics_workflows (
        workflow_id TEXT PRIMARY KEY, tenant TEXT, definition TEXT NOT NULL, version INTEGER NOT NULL,
        started_ms INTEGER NOT NULL, ended_ms INTEGER, outcome TEXT
      );
      CREATE TABLE IF NOT EXISTS metrics_llm (
        workflow_id TEXT NOT NULL, revision INTEGER NOT NULL, tenant TEXT, definition TEXT NOT NULL, step TEXT NOT NULL, model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, latency_ms REAL NOT NULL,
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
      CREATE TABLE IF NOT EXISTS metrics_step_durations (
        workflow_id TEXT NOT NULL, revision INTEGER NOT NULL, tenant TEXT, definition TEXT NOT NULL, step TEXT NOT NULL, duration_ms REAL NOT NULL,
        PRIMARY KEY (workflow_id, revision)
      ) WITHOUT ROWID;
    `);
  },
  drop(db) {
    for (const table of ['metrics_workflows', 'metrics_llm', 'metrics_revisions', 'metrics_step_starts', 'metrics_step_durations']) {
      db.exec(`DROP TABLE IF EXISTS ${table}`);
    }
  },
  createApplier: (db) => createMetricsApplier(db),
};

function createMetricsApplier(db: Database): ReadModelApplier {
  const started = db.prepare('INSERT OR IGNORE INTO metrics_workflows (workflow_id, tenant, definition, version, started_ms) VALUES (?, ?, ?, ?, ?)');
  const ended = db.prepare('UPDATE metrics_workflows SET ended_ms = ?, outcome = ? WHERE workflow_id = ? AND ended_ms IS NULL');
  const llm = db.prepare('INSERT OR IGNORE INTO metrics_llm VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const revision = db.prepare('INSERT OR IGNORE INTO metrics_revisions VALUES (?, ?, ?, ?, ?)');
  const stepStart = db.prepare('INSERT OR REPLACE INTO metrics_step_starts VALUES (?, ?, ?)');
  const stepStartOf = db.prepare<[string, string], { started_ms: number }>('SELECT started_ms FROM metrics_step_starts WHERE workflow_id = ? AND step = ?');
  const stepDuration = db.prepare('INSERT OR IGNORE INTO metrics_step_durations VALUES (?, ?, ?, ?, ?, ?)');
  return {
    apply({ workflowId, revision: rev, event, metadata }) {
      const at = Date.parse(metadata.at);
      const definition = metadata.definition;
      const tenant = metadata.tenant ?? null;
      switch (event.type) {
        case 'WorkflowStarted':
          started.run(workflowId, tenant, event.data.definition, event.data.version, at);
          break;
        case 'StepStarted':
          stepStart.run(workflowId, event.data.step, at);
          break;
        case 'StepCompleted': {
          const { step, llm: usage, durationMs } = event.data;
          if (usage !== undefined) llm.run(workflowId, rev, tenant, definition, step, usage.model, usage.inputTokens, usage.outputTokens, usage.costUsd, usage.latencyMs);
          const duration = durationMs ?? (at - (stepStartOf.get(workflowId, step)?.started_ms ?? at));
          stepDuration.run(workflowId, rev, tenant, definition, step, duration);
          break;
        }
        case 'StepFailed':
          if (event.data.llm !== undefined) {
            const usage = event.data.llm;
            llm.run(workflowId, rev, tenant, definition, event.data.step, usage.model, usage.inputTokens, usage.outputTokens, usage.costUsd, usage.latencyMs);
          }
          break;
        case 'RevisionRequested':
          revision.run(workflowId, rev, tenant, definition, event.data.step);
          break;
        case 'WorkflowCompleted':
          ended.run(at, 'completed', workflowId);
          break;
        case 'WorkflowFailed':
          ended.run(at, 'failed', workflowId);
          break;
        case 'WorkflowCancelled':
          ended.run(at, 'cancelled', workflowId);
          break;
        default:
          break;
      }
    },
    flush: () => undefined,
    abort: () => undefined,
  };
}
