import type { Database, Statement } from 'better-sqlite3';
import type { DecodedEvent } from './decodeEvent.js';
import type { ReadModel, ReadModelApplier } from './readModel.js';

/** Stored statuses; `blocked` is derived when queried, since registrations change without events. */
export type RecordedStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

export interface StatusRow {
  workflow_id: string;
  tenant: string | null;
  definition: string;
  version: number;
  status: RecordedStatus;
  state: string | null;
  current_step: string | null;
  iterations: string;
  revision: number;
  started_position: number;
  created_at: string;
  updated_at: string;
  output: string | null;
  artifact: string | null;
  error: string | null;
  reason: string | null;
}

const COLUMNS = [
  'workflow_id',
  'tenant',
  'definition',
  'version',
  'status',
  'state',
  'current_step',
  'iterations',
  'revision',
  'started_position',
  'created_at',
  'updated_at',
  'output',
  'artifact',
  'error',
  'reason',
] as const satisfies readonly (keyof StatusRow)[];

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

function newRow({ workflowId, metadata, position, revision }: DecodedEvent): StatusRow {
  return {
    workflow_id: workflowId,
    tenant: metadata.tenant ?? null,
    definition: metadata.definition,
    version: metadata.version,
    status: 'running',
    state: null,
    current_step: null,
    iterations: '{}',
    revision: revision - 1,
    started_position: Number(position),
    created_at: metadata.at,
    updated_at: metadata.at,
    output: null,
    artifact: null,
    error: null,
    reason: null,
  };
}

/** The parsed `iterations` of a row, with the text it was parsed from: a row's step events parse it once. */
const parsedIterations = new WeakMap<StatusRow, { text: string; iterations: Record<string, number> }>();

function setIteration(row: StatusRow, step: string, iteration: number): void {
  let parsed = parsedIterations.get(row);
  if (parsed === undefined || parsed.text !== row.iterations) {
    parsed = { text: row.iterations, iterations: JSON.parse(row.iterations) as Record<string, number> };
    parsedIterations.set(row, parsed);
  }
  if (parsed.iterations[step] === iteration) return;
  parsed.iterations[step] = iteration;
  row.iterations = parsed.text = JSON.stringify(parsed.iterations);
}

/** What one event does to a workflow's status row. Pure apart from mutating `row`. */
export function evolveStatus(row: StatusRow, decoded: DecodedEvent): void {
  const { event, metadata } = decoded;
  row.revision = decoded.revision;
  row.updated_at = metadata.at;
  if (metadata.state !== undefined) row.state = metadata.state;
  if (metadata.tenant !== undefined) row.tenant = metadata.tenant;
  switch (event.type) {
    case 'WorkflowStarted':
      row.definition = event.data.definition;
      row.version = event.data.version;
      row.created_at = metadata.at;
      break;
    case 'StepStarted':
      row.status = 'running';
      row.current_step = event.data.step;
      setIteration(row, event.data.step, event.data.iteration);
      break;
    case 'StepCompleted':
      row.current_step = event.data.step;
      setIteration(row, event.data.step, event.data.iteration);
      row.error = null;
      break;
    case 'StepFailed':
      row.current_step = event.data.step;
      row.error = json(event.data.error);
      break;
    case 'RevisionRequested':
      row.reason = `${event.data.by} requested a revision of ${event.data.step}: ${event.data.feedback}`;
      break;
    case 'IterationCapReached':
      row.reason = `${event.data.step} reached its cap of ${event.data.maxIterations} iterations (policy ${event.data.policy})`;
      break;
    case 'BudgetExceeded':
      row.reason = `${event.data.step} exceeded its ${event.data.limit} budget (${event.data.used} of ${event.data.max}, policy ${event.data.policy})`;
      break;
    case 'HumanInputRequested':
      row.status = 'waiting';
      row.current_step = event.data.step;
      row.reason = event.data.reason;
      break;
    case 'HumanDecisionReceived':
      row.status = 'running';
      row.reason = `human decision at ${event.data.step}: ${event.data.decision}${event.data.feedback ? ` (${event.data.feedback})` : ''}`;
      break;
    case 'WorkflowCompleted':
      row.status = 'completed';
      row.output = json(event.data.output);
      row.artifact = json(event.data.artifact);
      break;
    case 'WorkflowFailed':
      row.status = 'failed';
      row.reason = event.data.reason;
      if (event.data.error !== undefined) row.error = json(event.data.error);
      break;
    case 'WorkflowCancelled':
      row.status = 'cancelled';
      row.reason = event.data.reason;
      break;
  }
}

export const statusReadModel: ReadModel = {
  name: 'status',
  schemaVersion: 1,
  migrate(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS workflow_status (
        workflow_id TEXT PRIMARY KEY, tenant TEXT, definition TEXT NOT NULL, version INTEGER NOT NULL,
        status TEXT NOT NULL, state TEXT, current_step TEXT, iterations TEXT NOT NULL, revision INTEGER NOT NULL,
        started_position INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        output TEXT, artifact TEXT, error TEXT, reason TEXT
      );
      CREATE INDEX IF NOT EXISTS workflow_status_by_start ON workflow_status (started_position);
      CREATE INDEX IF NOT EXISTS workflow_status_by_status ON workflow_status (status, started_position);
    `);
  },
  drop(db) {
    db.exec('DROP TABLE IF EXISTS workflow_status');
  },
  createApplier: (db) => createStatusApplier(db),
};

/** Rows of a batch stay in memory and are written once at the end: a workflow usually has several events per batch. */
function createStatusApplier(db: Database): ReadModelApplier {
  const select: Statement<[string], StatusRow> = db.prepare('SELECT * FROM workflow_status WHERE workflow_id = ?');
  select.safeIntegers(false);
  const upsert = db.prepare(`INSERT OR REPLACE INTO workflow_status (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
  const rows = new Map<string, StatusRow>();
  const dirty = new Set<StatusRow>();
  return {
    apply(decoded) {
      let row = rows.get(decoded.workflowId);
      if (row === undefined) {
        row = select.get(decoded.workflowId) ?? newRow(decoded);
        rows.set(decoded.workflowId, row);
      }
      if (decoded.revision <= row.revision) return;
      evolveStatus(row, decoded);
      dirty.add(row);
    },
    flush() {
      // Positional: cheaper to bind than named parameters.
      for (const row of dirty) upsert.run(COLUMNS.map((column) => row[column]));
      dirty.clear();
      rows.clear();
    },
    abort() {
      dirty.clear();
      rows.clear();
    },
  };
}
