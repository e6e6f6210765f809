import type { AuditEntry } from './auditEntry.js';
import { type AuditUsage, type DescendantUsage, addUsage, countsOnce } from './auditUsage.js';

const time = (at: string): string => (at.length >= 23 ? at.slice(11, 23) : at);
const money = (usd: number): string => `$${usd.toFixed(4)}`;

/** A model call's accounting; for a step's total of its calls, only what adds up (not one call's latency or prompt). */
function accounting(entry: AuditEntry, total = false): string | undefined {
  if (entry.model === null) return undefined;
  const parts = [entry.model, `${entry.inputTokens ?? 0} in / ${entry.outputTokens ?? 0} out tokens`, money(entry.costUsd ?? 0)];
  if (total) return parts.join(' · ');
  if (entry.latencyMs !== null) parts.push(`${Math.round(entry.latencyMs)} ms`);
  if (entry.promptHash) parts.push(`prompt ${entry.promptHash.slice(0, 19)}`);
  return parts.join(' · ');
}

const usageLine = (usage: AuditUsage): string =>
  `${usage.calls} model call${usage.calls === 1 ? '' : 's'} · ${usage.inputTokens} in / ${usage.outputTokens} out tokens · ${money(usage.costUsd)}`;

/** What a descendant's line shows (the API's answer has no tenant). */
type DescendantLine = Omit<DescendantUsage, 'tenant'>;

/** At most this many descendants get a line each; past it, only their total. */
const LISTED_DESCENDANTS = 20;

/**
 * A workflow's audit trail as a timeline a person can read: entries grouped under the step and
 * iteration they belong to, review verdicts with their feedback, each journaled call with its
 * outcome, and each model call's cost. A step whose model calls were journaled records their total
 * again in its outcome: shown as the step's total, counted once in the totals. With `descendants`
 * (the child workflows its steps started, and theirs), their usage follows, and the family's total.
 */
export function formatAuditTimeline(workflowId: string, entries: readonly AuditEntry[], descendants: readonly DescendantLine[] = []): string[] {
  const lines: string[] = [];
  const first = entries[0];
  const started = first?.type === 'WorkflowStarted' ? ` · ${first.summary.replace(/^started /, '')} · started ${first.at}` : '';
  lines.push(`workflow ${workflowId}${started}`);
  let group: string | undefined;
  const own: AuditUsage = { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const journaled = new Set<string>();
  for (const entry of entries) {
    const stepGroup = entry.step === null ? undefined : `${entry.step}${entry.iteration === null ? '' : ` #${entry.iteration}`}`;
    // A revision request reads best under the review that made it, not under the step it sends back.
    if (stepGroup !== group && entry.type !== 'RevisionRequested') {
      group = stepGroup;
      if (stepGroup !== undefined) lines.push(`  ${stepGroup}`);
    }
    const indent = group === undefined ? '  ' : '    ';
    const attempt = entry.attempt !== null && entry.attempt > 1 ? ` (attempt ${entry.attempt})` : '';
    const sender = entry.sender === 'system' ? '' : `  [${entry.sender}]`;
    const legacy = entry.payloadVersion === 0 ? '  (legacy payload, upcast)' : '';
    lines.push(`${indent}${time(entry.at)}  r${String(entry.revision).padEnd(4)} ${entry.summary}${attempt}${sender}${legacy}`);
    const detail = `${indent}${' '.repeat(19)}`;
    if (entry.feedback !== null && entry.feedback !== '') lines.push(`${detail}feedback: ${JSON.stringify(entry.feedback)}`);
    if (entry.model === null) continue;
    if (countsOnce(entry, journaled)) {
      lines.push(`${detail}${accounting(entry)}`);
      addUsage(own, entry);
    } else {
      lines.push(`${detail}${accounting(entry, true)} · the step's total of its calls above`);
    }
  }
  lines.push(`${entries.length} events · ${usageLine(own)}`);
  if (descendants.length > 0) lines.push(...descendantLines(workflowId, own, descendants));
  return lines;
}

function descendantLines(workflowId: string, own: AuditUsage, descendants: readonly DescendantLine[]): string[] {
  const children = descendants.filter((descendant) => descendant.parentId === workflowId).length;
  const further = descendants.length - children;
  const lines = [`child workflows: ${children}${further > 0 ? `, and ${further} started by them` : ''} (ecl audit <id> shows each)`];
  for (const descendant of descendants.slice(0, LISTED_DESCENDANTS)) {
    const depth = descendant.parentId === workflowId ? '' : `  (child of ${descendant.parentId})`;
    lines.push(`  ${descendant.workflowId} · ${descendant.definition} · ${descendant.status} · ${usageLine(descendant)}${depth}`);
  }
  if (descendants.length > LISTED_DESCENDANTS) lines.push(`  … and ${descendants.length - LISTED_DESCENDANTS} more`);
  const family = descendants.reduce((total, usage) => sum(total, usage), own);
  lines.push(`with child workflows: ${usageLine(family)}`);
  return lines;
}

/**
 * What a command that ran a workflow says of its child workflows once it is done: how many, by
 * status, those that did not complete, and the family's usage. Nothing without children.
 */
export function familySummaryLines(workflowId: string, own: AuditUsage, descendants: readonly DescendantLine[]): string[] {
  if (descendants.length === 0) return [];
  const byStatus = new Map<string, number>();
  for (const { status } of descendants) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  const statuses = [...byStatus].map(([status, count]) => `${count} ${status}`).join(', ');
  const family = descendants.reduce((total, usage) => sum(total, usage), own);
  const unfinished = descendants.filter((descendant) => descendant.status !== 'completed');
  return [
    `With ${descendants.length} child workflow${descendants.length === 1 ? '' : 's'} (${statuses}): ${usageLine(family)} in all (ecl audit ${workflowId} lists each)`,
    ...unfinished.slice(0, LISTED_DESCENDANTS).map((descendant) => `  ${descendant.workflowId} · ${descendant.definition} · ${descendant.status}`),
    ...(unfinished.length > LISTED_DESCENDANTS ? [`  … and ${unfinished.length - LISTED_DESCENDANTS} more`] : []),
  ];
}

const sum = (a: AuditUsage, b: AuditUsage): AuditUsage => ({
  calls: a.calls + b.calls,
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  costUsd: a.costUsd + b.costUsd,
});
