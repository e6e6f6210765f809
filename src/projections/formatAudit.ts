import type { AuditEntry } from './auditEntry.js';

const time = (at: string): string => (at.length >= 23 ? at.slice(11, 23) : at);
const money = (usd: number): string => `$${usd.toFixed(4)}`;

function accounting(entry: AuditEntry): string | undefined {
  if (entry.model === null) return undefined;
  const parts = [entry.model, `${entry.inputTokens ?? 0} in / ${entry.outputTokens ?? 0} out tokens`, money(entry.costUsd ?? 0)];
  if (entry.latencyMs !== null) parts.push(`${Math.round(entry.latencyMs)} ms`);
  if (entry.promptHash) parts.push(`prompt ${entry.promptHash.slice(0, 19)}`);
  return parts.join(' · ');
}

/**
 * A workflow's audit trail as a timeline a person can read: entries grouped under the step and
 * iteration they belong to, review verdicts with their feedback, each journaled call with its
 * outcome, and each model call's cost. A step whose model calls were journaled records their total
 * again in its outcome: shown as the step's total, counted once in the last line.
 */
export function formatAuditTimeline(workflowId: string, entries: readonly AuditEntry[]): string[] {
  const lines: string[] = [];
  const first = entries[0];
  const started = first?.type === 'WorkflowStarted' ? ` · ${first.summary.replace(/^started /, '')} · started ${first.at}` : '';
  lines.push(`workflow ${workflowId}${started}`);
  let group: string | undefined;
  let calls = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let cost = 0;
  /** `<step>#<iteration>` of every iteration whose model calls were journaled one by one. */
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
    const usage = accounting(entry);
    const key = `${entry.step ?? ''}#${entry.iteration ?? ''}`;
    if (usage !== undefined && entry.type === 'CallCompleted') journaled.add(key);
    if (usage !== undefined && entry.type !== 'CallCompleted' && journaled.has(key)) {
      lines.push(`${detail}${usage} · the step's total of its calls above`);
    } else if (usage !== undefined) {
      lines.push(`${detail}${usage}`);
      calls += 1;
      inputTokens += entry.inputTokens ?? 0;
      outputTokens += entry.outputTokens ?? 0;
      cost += entry.costUsd ?? 0;
    }
  }
  lines.push(`${entries.length} events · ${calls} model calls · ${inputTokens} in / ${outputTokens} out tokens · ${money(cost)}`);
  return lines;
}
