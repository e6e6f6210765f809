import type { Database, Statement } from 'better-sqlite3';
import type { DecodedEvent } from './decodeEvent.js';
import { failedWithout, failureCause } from './failureCause.js';
import type { ReadModel, ReadModelApplier } from './readModel.js';
import { type ProgressRecord, STATUS_COLUMNS, type StatusRow, type WaitingRecord, type WakeKind } from './statusRow.js';

export type { ProgressRecord, RecordedStatus, StatusRow, WaitingRecord, WakeKind } from './statusRow.js';
export { STATUS_COLUMNS } from './statusRow.js';

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** What the status rules read of an event: a decoded one, or one the engine has just published. */
export type StatusEvent = Pick<DecodedEvent, 'workflowId' | 'revision' | 'event' | 'metadata'>;

/** The row of a workflow before its first applied event; `position` is where that event is in the log. */
export function newStatusRow({ workflowId, metadata, revision }: StatusEvent, position: bigint): StatusRow {
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
    parent: null,
    parent_id: null,
    waiting_for: null,
    wake_at: null,
    wake_kind: null,
    deadline: null,
    progress: null,
  };
}

const waitOf = (row: StatusRow): WaitingRecord | null => (row.waiting_for === null ? null : (JSON.parse(row.waiting_for) as WaitingRecord));

function wake(row: StatusRow, at: string | null, kind: WakeKind | null): void {
  row.wake_at = at;
  row.wake_kind = kind;
}

function wait(row: StatusRow, waiting: WaitingRecord, reason: string): void {
  row.status = 'waiting';
  row.current_step = waiting.step;
  row.waiting_for = json(waiting);
  row.reason = reason;
  wake(row, null, null);
}

/** Back to running: nothing waited for any more. */
function resume(row: StatusRow): void {
  row.status = 'running';
  row.waiting_for = null;
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

/**
 * A fan-out item's outcome counts toward its step iteration's progress, per fan-out; the step's
 * end, or another step or iteration starting, ends it. A retried attempt replays the items
 * recorded before it (their outcomes are not recorded again) and runs again the one it failed on,
 * which is not counted twice.
 */
function countItem(row: StatusRow, item: { step: string; iteration: number; call: string; fanOut: { name: string; items: number }; retryable: boolean }): void {
  const now = row.progress === null ? null : (JSON.parse(row.progress) as ProgressRecord);
  const same = now !== null && now.step === item.step && now.iteration === item.iteration;
  const counts = same ? { ...now.counts } : {};
  const again = same && now.rerun === item.call;
  const [done] = counts[item.fanOut.name] ?? [0];
  counts[item.fanOut.name] = [again ? done : done + 1, item.fanOut.items];
  const rerun = item.retryable ? item.call : same && !again ? now.rerun : undefined;
  row.progress = json({
    step: item.step,
    iteration: item.iteration,
    counts,
    last: item.fanOut.name,
    ...(rerun === undefined ? {} : { rerun }),
  } satisfies ProgressRecord);
}

/** A step started anew (not a retry of the one whose fan-out is counted) leaves its progress behind. */
function leaveProgress(row: StatusRow, step: string, iteration: number): void {
  if (row.progress === null) return;
  const now = JSON.parse(row.progress) as ProgressRecord;
  if (now.step !== step || now.iteration !== iteration) row.progress = null;
}

/** What one event does to a workflow's status row. Pure apart from mutating `row`. */
export function evolveStatus(row: StatusRow, decoded: StatusEvent): void {
  const { event, metadata } = decoded;
  row.revision = decoded.revision;
  row.updated_at = metadata.at;
  if (metadata.state !== undefined) row.state = metadata.state;
  if (metadata.tenant !== undefined) row.tenant = metadata.tenant;
  // A finished workflow waits for nothing and wakes no more.
  if (event.type === 'WorkflowCompleted' || event.type === 'WorkflowFailed' || event.type === 'WorkflowCancelled') {
    row.waiting_for = null;
    row.progress = null;
    wake(row, null, null);
  }
  // What ends the workflow without recording an error of its own (a REJECT, a cap, a budget): the failure's error.
  const cause = failureCause(event);
  if (cause !== undefined) row.error = json(cause);
  switch (event.type) {
    case 'WorkflowStarted':
      row.definition = event.data.definition;
      row.version = event.data.version;
      row.created_at = metadata.at;
      if (event.data.parent !== undefined) {
        row.parent = json(event.data.parent);
        row.parent_id = event.data.parent.workflowId;
      }
      if (event.data.policies?.deadline !== undefined) row.deadline = json(event.data.policies.deadline);
      break;
    case 'StepStarted':
      resume(row);
      // The retry a failed attempt announced has come: its note is history now (the audit keeps it).
      if (row.wake_kind === 'retry') row.reason = null;
      row.current_step = event.data.step;
      setIteration(row, event.data.step, event.data.iteration);
      leaveProgress(row, event.data.step, event.data.iteration);
      wake(row, null, null);
      break;
    case 'CallCompleted':
      if (event.data.fanOut !== undefined) {
        const { step, iteration, call, fanOut, error } = event.data;
        countItem(row, { step, iteration, call, fanOut, retryable: error?.retryable === true });
      }
      break;
    case 'StepCompleted':
      row.current_step = event.data.step;
      setIteration(row, event.data.step, event.data.iteration);
      row.error = null;
      row.progress = null;
      wake(row, null, null);
      break;
    case 'StepFailed':
      row.current_step = event.data.step;
      row.error = json(event.data.error);
      // A failed attempt to be retried: the step stays running until the next attempt starts.
      if (event.data.retryAt !== undefined) {
        wake(row, event.data.retryAt, 'retry');
        row.reason = `attempt ${event.data.attempt} of ${event.data.step} failed (${event.data.error.code}); retrying at ${event.data.retryAt}`;
      } else {
        wake(row, null, null);
        row.progress = null;
      }
      break;
    case 'SleepStarted':
      resume(row);
      row.current_step = event.data.step;
      wake(row, event.data.until, 'sleep');
      break;
    case 'SleepEnded':
      wake(row, null, null);
      break;
    case 'SignalAwaited': {
      const waiting: WaitingRecord = { step: event.data.step, kind: 'signal', signal: event.data.signal, accepts: [event.data.signal, 'CANCEL'] };
      if (event.data.timeoutAt !== undefined) waiting.timeoutAt = event.data.timeoutAt;
      wait(row, waiting, `waiting for signal ${event.data.signal}${event.data.timeoutAt === undefined ? '' : ` until ${event.data.timeoutAt}`}`);
      break;
    }
    case 'SignalReceived':
      resume(row);
      row.reason = `signal ${event.data.signal} received at ${event.data.step}`;
      break;
    case 'SignalTimedOut':
      resume(row);
      row.reason = `signal ${event.data.signal} did not come by ${event.data.timeoutAt} (policy ${event.data.policy})`;
      break;
    case 'RouteChosen':
      row.current_step = event.data.step;
      row.reason = `${event.data.step} chose ${event.data.chose}${event.data.capReached === true ? `, loop cap reached: continuing at ${event.data.to}` : ''}`;
      break;
    case 'IterationCapReached':
      row.reason = `${event.data.step} reached its cap of ${event.data.maxIterations} iterations (policy ${event.data.policy})`;
      // Names the kind of the HumanInputRequested that follows an escalation (shown once it is waiting).
      if (event.data.policy === 'escalate') row.waiting_for = json({ step: event.data.step, kind: 'cap', accepts: [] } satisfies WaitingRecord);
      break;
    case 'BudgetExceeded':
      row.reason = `${event.data.step} exceeded its ${event.data.limit} budget (${event.data.used} of ${event.data.max}, policy ${event.data.policy})`;
      if (event.data.policy === 'escalate') row.waiting_for = json({ step: event.data.step, kind: 'budget', accepts: [] } satisfies WaitingRecord);
      break;
    case 'HumanInputRequested': {
      const pending = row.status === 'running' ? waitOf(row) : null;
      const kind = pending?.step === event.data.step && (pending.kind === 'cap' || pending.kind === 'budget') ? pending.kind : 'approval';
      wait(row, { step: event.data.step, kind, accepts: event.data.accepts }, event.data.reason);
      break;
    }
    case 'HumanDecisionReceived': {
      resume(row);
      const said = [event.data.feedback, event.data.note].filter((text) => text !== undefined && text !== '').join('; ');
      row.reason = `human decision at ${event.data.step}: ${event.data.decision}${said === '' ? '' : ` (${said})`}`;
      break;
    }
    case 'RevisionRequested':
      row.waiting_for = null;
      row.reason = `${event.data.by} requested a revision of ${event.data.step}: ${event.data.feedback}`;
      break;
    case 'WorkflowCompleted':
      row.status = 'completed';
      row.output = json(event.data.output);
      row.artifact = json(event.data.artifact);
      break;
    case 'WorkflowFailed':
      row.status = 'failed';
      row.reason = event.data.reason;
      // Every failed workflow has an error with a code: its own, its cause's, or WORKFLOW_FAILED.
      row.error = event.data.error !== undefined ? json(event.data.error) : (row.error ?? json(failedWithout(event.data.reason)));
      break;
    case 'WorkflowCancelled':
      row.status = 'cancelled';
      row.reason = event.data.reason;
      break;
  }
}

export const statusReadModel: ReadModel = {
  name: 'status',
  schemaVersion: 8,
  migrate(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS workflow_status (
        workflow_id TEXT PRIMARY KEY, tenant TEXT, definition TEXT NOT NULL, version INTEGER NOT NULL,
        status TEXT NOT NULL, state TEXT, current_step TEXT, iterations TEXT NOT NULL, revision INTEGER NOT NULL,
        started_position INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        output TEXT, artifact TEXT, error TEXT, reason TEXT, parent TEXT, parent_id TEXT,
        waiting_for TEXT, wake_at TEXT, wake_kind TEXT, deadline TEXT, progress TEXT
      );
      CREATE INDEX IF NOT EXISTS workflow_status_by_parent ON workflow_status (parent_id);
      CREATE INDEX IF NOT EXISTS workflow_status_by_start ON workflow_status (started_position);
      CREATE INDEX IF NOT EXISTS workflow_status_by_status ON workflow_status (status, started_position);
    `);
  },
  drop(db) {
    db.exec('DROP TABLE IF EXISTS workflow_status');
  },
  createApplier: (db) => createStatusApplier(db),
};

/**
 * A batch's status rows, folded in memory: a workflow usually has several events per batch, so its
 * row is loaded once (`load`, or a new row), evolved by each event after its revision, and written
 * once by the caller (`dirty`). Both the SQLite and the PostgreSQL read models fold through it.
 */
export function createStatusFold(load: (workflowId: string) => StatusRow | undefined) {
  const rows = new Map<string, StatusRow>();
  const dirty = new Set<StatusRow>();
  return {
    apply(decoded: DecodedEvent): void {
      let row = rows.get(decoded.workflowId);
      if (row === undefined) {
        row = load(decoded.workflowId) ?? newStatusRow(decoded, decoded.position);
        rows.set(decoded.workflowId, row);
      }
      // Applied already (idempotent per revision).
      if (decoded.revision <= row.revision) return;
      evolveStatus(row, decoded);
      dirty.add(row);
    },
    /** The rows the batch changed, each once. */
    dirty: (): ReadonlySet<StatusRow> => dirty,
    clear(): void {
      dirty.clear();
      rows.clear();
    },
  };
}

function createStatusApplier(db: Database): ReadModelApplier {
  const select: Statement<[string], StatusRow> = db.prepare('SELECT * FROM workflow_status WHERE workflow_id = ?');
  select.safeIntegers(false);
  const upsert = db.prepare(`INSERT OR REPLACE INTO workflow_status (${STATUS_COLUMNS.join(', ')}) VALUES (${STATUS_COLUMNS.map(() => '?').join(', ')})`);
  const fold = createStatusFold((workflowId) => select.get(workflowId));
  return {
    apply: (decoded) => fold.apply(decoded),
    flush() {
      // Positional: cheaper to bind than named parameters.
      for (const row of fold.dirty()) upsert.run(STATUS_COLUMNS.map((column) => row[column]));
      fold.clear();
    },
    abort: () => fold.clear(),
  };
}
