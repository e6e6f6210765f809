import type { WorkflowStatusRow } from '../projections/index.js';

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** One workflow as `ecl status <id>` prints it: a heading line, then one indented line per known field. */
export function formatStatus(status: WorkflowStatusRow): string[] {
  const lines = [`${status.workflowId}  ${status.definition} v${status.version}  ${status.status}`];
  const row = (name: string, value: string | undefined) => value !== undefined && value !== '' && lines.push(`  ${name.padEnd(11)} ${value}`);
  row('tenant', status.tenant ?? undefined);
  row('parent', status.parent === undefined ? undefined : `${status.parent.workflowId} (step ${status.parent.step}, call "${status.parent.call}")`);
  row('state', status.state === null ? undefined : text(status.state));
  row('step', status.currentStep ?? undefined);
  row(
    'iterations',
    Object.entries(status.iterations)
      .map(([step, n]) => `${step}=${n}`)
      .join(' '),
  );
  row('revision', String(status.revision));
  row('created', status.createdAt);
  row('updated', status.updatedAt);
  const artifact = status.artifact as { path?: string; hash?: string; bytes?: number } | null;
  row('artifact', artifact === null ? undefined : `${artifact.path ?? ''} (${artifact.bytes ?? '?'} bytes, sha256 ${(artifact.hash ?? '').slice(0, 12)}…)`);
  row('output', status.output === null ? undefined : text(status.output).slice(0, 200));
  row('reason', status.reason ?? undefined);
  const error = status.error as { code?: string; message?: string } | null;
  row('error', error === null ? undefined : `${error.code ?? ''}: ${error.message ?? ''}`);
  return lines;
}

/** Aligned columns: id, definition, status, step, revision, last update. */
export function formatStatusTable(items: readonly WorkflowStatusRow[]): string[] {
  const rows = [
    ['ID', 'DEFINITION', 'STATUS', 'STEP', 'REV', 'UPDATED'],
    ...items.map((item) => [
      item.workflowId,
      `${item.definition} v${item.version}`,
      item.status,
      item.currentStep ?? '-',
      String(item.revision),
      item.updatedAt,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '));
}
