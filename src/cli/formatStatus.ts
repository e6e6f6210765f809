import type { WorkflowStatusRow } from '../projections/index.js';

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * What a live workflow is doing, in words: `sleeping until …`, `retrying at …`, `waiting for
 * signal payment (until …)`, `waiting for approval at sign`; undefined when there is nothing to add.
 */
export function activityOf(status: Pick<WorkflowStatusRow, 'status' | 'waitingFor' | 'wakeAt' | 'wakeReason' | 'progress'>): string | undefined {
  const waiting = status.waitingFor;
  if (status.status === 'waiting' && waiting !== undefined) {
    if (waiting.kind === 'signal')
      return `waiting for signal ${waiting.signal ?? '?'}${waiting.timeoutAt === undefined ? '' : ` (until ${waiting.timeoutAt})`}`;
    const what = waiting.kind === 'cap' ? 'a decision on the loop cap' : waiting.kind === 'budget' ? 'a decision on the budget' : 'approval';
    return `waiting for ${what} at ${waiting.step}`;
  }
  if (status.status === 'running' && status.wakeAt !== undefined) return `${status.wakeReason === 'retry' ? 'retrying at' : 'sleeping until'} ${status.wakeAt}`;
  const progress = status.progress;
  if (status.status === 'running' && progress !== undefined) return `${progress.step}: ${progress.fanOut} ${progress.done} of ${progress.of} done`;
  return undefined;
}

/** How many of a live workflow's unfinished children `ecl status` lists. */
const CHILDREN_LISTED = 20;

/** A page of workflows from the local read models or from a server's `GET /v1/workflows`. */
type ListChildren = (query: {
  parent: string;
  status: 'waiting' | 'running' | 'blocked';
  limit: number;
}) => Promise<{ items: WorkflowStatusRow[]; more: boolean }>;

/**
 * A live workflow's unfinished children, as `ecl status` lists them: one small page per unfinished
 * status, each child checked to name `parentId` (a server too old to filter by parent answers with
 * every workflow); `more` when a page was not all of them.
 */
export async function unfinishedChildren(parentId: string, list: ListChildren): Promise<{ children: WorkflowStatusRow[]; more: boolean }> {
  const pages = await Promise.all((['waiting', 'running', 'blocked'] as const).map((status) => list({ parent: parentId, status, limit: CHILDREN_LISTED })));
  return {
    children: pages.flatMap((page) => page.items).filter((child) => child.parent?.workflowId === parentId),
    more: pages.some((page) => page.more),
  };
}

/**
 * One workflow as `ecl status <id>` prints it: a heading line (with what it is doing), then one
 * indented line per known field; `children`, its unfinished child workflows, one line each (the
 * first 20; `moreChildren` when the page read was not all of them).
 */
export function formatStatus(status: WorkflowStatusRow, children: readonly WorkflowStatusRow[] = [], moreChildren = false): string[] {
  const activity = activityOf(status);
  // `waiting for signal payment (…)` says the status itself; `running · sleeping until …` needs both.
  const heading = activity === undefined ? status.status : activity.startsWith(status.status) ? activity : `${status.status} · ${activity}`;
  const lines = [`${status.workflowId}  ${status.definition} v${status.version}  ${heading}`];
  const row = (name: string, value: string | undefined) => value !== undefined && value !== '' && lines.push(`  ${name.padEnd(11)} ${value}`);
  row('tenant', status.tenant ?? undefined);
  row('parent', status.parent === undefined ? undefined : `${status.parent.workflowId} (step ${status.parent.step}, call "${status.parent.call}")`);
  row('state', status.state === null ? undefined : text(status.state));
  row('step', status.currentStep ?? undefined);
  // A status from an older server has no `accepts`.
  row('accepts', status.accepts?.join(', '));
  row('deadline', status.deadline === undefined ? undefined : `${status.deadline.at} (then ${status.deadline.onPass})`);
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
  children.slice(0, CHILDREN_LISTED).forEach((child, index) => {
    const activity = activityOf(child);
    row(index === 0 ? 'children' : '', `${child.workflowId}  ${child.definition} v${child.version}  ${activity ?? child.status}`);
  });
  const unlisted = children.length - CHILDREN_LISTED;
  if (unlisted > 0 || moreChildren)
    row('', `${unlisted > 0 ? `and ${unlisted}${moreChildren ? '+' : ''} more unfinished` : 'and maybe more'}: ecl list --parent ${status.workflowId}`);
  return lines;
}

/** The step, and what it is doing there when that is a wait or a timer: `paid (signal payment)`, `grace (sleeping)`. */
function stepCell(item: WorkflowStatusRow): string {
  const step = item.currentStep ?? '-';
  if (item.status === 'waiting' && item.waitingFor !== undefined)
    return `${step} (${item.waitingFor.kind === 'signal' ? `signal ${item.waitingFor.signal ?? '?'}` : item.waitingFor.kind})`;
  if (item.status === 'running' && item.wakeAt !== undefined) return `${step} (${item.wakeReason === 'retry' ? 'retrying' : 'sleeping'})`;
  if (item.status === 'running' && item.progress !== undefined) return `${step} (${item.progress.done}/${item.progress.of})`;
  return step;
}

/** Aligned columns: id, definition, status, step, revision, last update. */
export function formatStatusTable(items: readonly WorkflowStatusRow[]): string[] {
  const rows = [
    ['ID', 'DEFINITION', 'STATUS', 'STEP', 'REV', 'UPDATED'],
    ...items.map((item) => [item.workflowId, `${item.definition} v${item.version}`, item.status, stepCell(item), String(item.revision), item.updatedAt]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '));
}
