import type pg from 'pg';
import { AUDIT_FIELDS } from '../auditReadModel.js';
import { auditEntryOf } from '../auditEntry.js';
import type { DecodedEvent } from '../decodeEvent.js';
import { metricsChangeOf, stepKey, type MetricsChange } from '../metricsRules.js';
import { createStatusFold } from '../statusReadModel.js';
import { STATUS_COLUMNS, type StatusRow } from '../statusReadModel.js';

// PostgreSQL text cannot hold U+0000, which JSON escapes as \u0000 (after an even run of backslashes).
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;
/** Rows as one JSON parameter, for `json_populate_recordset` (its columns and types come from the table). */
export const rowsJson = (rows: readonly object[]): string => JSON.stringify(rows).replace(NUL_ESCAPE, '$1\\ufffd');

const objectOf = (columns: readonly string[], row: readonly unknown[]): Record<string, unknown> =>
  Object.fromEntries(columns.map((column, index) => [column, row[index]]));

const METRICS_STEP_COLUMNS = [
  'workflow_id',
  'revision',
  'tenant',
  'definition',
  'step',
  'duration_ms',
  'model',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'latency_ms',
];
const METRICS_REVISION_COLUMNS = ['workflow_id', 'revision', 'tenant', 'definition', 'step'];
const METRICS_STARTED_COLUMNS = ['workflow_id', 'tenant', 'definition', 'version', 'started_ms'];

/**
 * Applies decoded events to the read-model tables of schema `s` (quoted) through `client`, inside
 * the caller's transaction, by the same rules as the SQLite read models (`createStatusFold`,
 * `auditEntryOf`, `metricsChangeOf`): rows the batch needs are read first, the batch is folded in
 * memory, and each table is written with one statement. Idempotent per (workflow, revision).
 */
export async function writeReadModels(client: pg.ClientBase, s: string, decoded: readonly DecodedEvent[]): Promise<void> {
  if (decoded.length === 0) return;
  const workflowIds = [...new Set(decoded.map((event) => event.workflowId))];
  const stored = await client.query<StatusRow>(`SELECT * FROM ${s}.workflow_status WHERE workflow_id = ANY ($1::text[])`, [workflowIds]);
  const rows = new Map(stored.rows.map((row) => [row.workflow_id, row]));
  const status = createStatusFold((workflowId) => rows.get(workflowId));

  const timed = decoded.some((event) => event.event.type === 'StepCompleted' && event.event.data.durationMs === undefined);
  const storedStarts = timed
    ? await client.query<{ workflow_id: string; step: string; started_ms: number }>(
        `SELECT workflow_id, step, started_ms FROM ${s}.metrics_step_starts WHERE workflow_id = ANY ($1::text[])`,
        [workflowIds],
      )
    : { rows: [] };
  const startedAt = new Map(storedStarts.rows.map((row) => [stepKey(row.workflow_id, row.step), row.started_ms]));
  const stepStarts = new Map<string, Extract<MetricsChange, { kind: 'stepStart' }>>();
  const startOf = (workflowId: string, step: string) => stepStarts.get(stepKey(workflowId, step))?.at ?? startedAt.get(stepKey(workflowId, step));

  const audit: Record<string, unknown>[] = [];
  const started: Record<string, unknown>[] = [];
  const ended = new Map<string, { workflow_id: string; ended_ms: number; outcome: string }>();
  const steps: Record<string, unknown>[] = [];
  const revisions: Record<string, unknown>[] = [];
  for (const event of decoded) {
    status.apply(event);
    const entry = auditEntryOf(event);
    audit.push(Object.fromEntries(AUDIT_FIELDS.map(([column, field]) => [column, entry[field]])));
    const change = metricsChangeOf(event, startOf);
    if (change === undefined) continue;
    if (change.kind === 'started') started.push(objectOf(METRICS_STARTED_COLUMNS, change.row));
    // The first end counts, as `WHERE ended_ms IS NULL` keeps it on SQLite.
    else if (change.kind === 'ended') {
      if (!ended.has(change.workflowId)) ended.set(change.workflowId, { workflow_id: change.workflowId, ended_ms: change.endedMs, outcome: change.outcome });
    } else if (change.kind === 'step') steps.push(objectOf(METRICS_STEP_COLUMNS, change.row));
    else if (change.kind === 'revision') revisions.push(objectOf(METRICS_REVISION_COLUMNS, change.row));
    else stepStarts.set(stepKey(change.workflowId, change.step), change);
  }

  const insert = async (table: string, values: readonly object[], conflict = 'ON CONFLICT DO NOTHING') => {
    if (values.length > 0)
      await client.query(`INSERT INTO ${s}.${table} SELECT * FROM json_populate_recordset(NULL::${s}.${table}, $1::json) ${conflict}`, [rowsJson(values)]);
  };
  const updated = STATUS_COLUMNS.filter((column) => column !== 'workflow_id');
  await insert(
    'workflow_status',
    [...status.dirty()],
    `ON CONFLICT (workflow_id) DO UPDATE SET (${updated.join(', ')}) = ROW(${updated.map((column) => `EXCLUDED.${column}`).join(', ')})`,
  );
  await insert('audit_entries', audit);
  await insert('metrics_workflows', started);
  if (ended.size > 0)
    await client.query(
      `UPDATE ${s}.metrics_workflows m SET ended_ms = e.ended_ms, outcome = e.outcome FROM json_populate_recordset(NULL::${s}.metrics_workflows, $1::json) e ` +
        'WHERE m.workflow_id = e.workflow_id AND m.ended_ms IS NULL',
      [rowsJson([...ended.values()])],
    );
  await insert('metrics_steps', steps);
  await insert('metrics_revisions', revisions);
  await insert(
    'metrics_step_starts',
    [...stepStarts.values()].map(({ workflowId, step, at }) => ({ workflow_id: workflowId, step, started_ms: at })),
    'ON CONFLICT (workflow_id, step) DO UPDATE SET started_ms = EXCLUDED.started_ms',
  );
}
