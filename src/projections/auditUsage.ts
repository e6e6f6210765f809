import type { AuditEntry } from './auditEntry.js';

/** Model calls, tokens and cost of a workflow's audit entries, each model call counted once. */
export interface AuditUsage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** A workflow started by another one's step, directly or further down, with its own usage. */
export interface DescendantUsage extends AuditUsage {
  workflowId: string;
  definition: string;
  status: string;
  /** The workflow that started it. */
  parentId: string;
  /** The tenant recorded at its start (null: none). */
  tenant: string | null;
}

/** `<step>#<iteration>` of an entry: a step iteration's journaled model calls are its usage, its outcome repeats their total. */
const iterationKey = (entry: AuditEntry): string => `${entry.step ?? ''}#${entry.iteration ?? ''}`;

/**
 * Whether an entry's model usage counts: a step's outcome that repeats the total of the model calls
 * journaled above it does not (`journaled` collects, in order, the iterations that journaled one).
 */
export function countsOnce(entry: AuditEntry, journaled: Set<string>): boolean {
  if (entry.model === null) return false;
  if (entry.type === 'CallCompleted') {
    journaled.add(iterationKey(entry));
    return true;
  }
  return !journaled.has(iterationKey(entry));
}

export function auditUsage(entries: readonly AuditEntry[]): AuditUsage {
  const usage: AuditUsage = { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  const journaled = new Set<string>();
  for (const entry of entries) if (countsOnce(entry, journaled)) addUsage(usage, entry);
  return usage;
}

/** Adds an entry's model usage. */
export function addUsage(usage: AuditUsage, entry: AuditEntry): void {
  usage.calls += 1;
  usage.inputTokens += entry.inputTokens ?? 0;
  usage.outputTokens += entry.outputTokens ?? 0;
  usage.costUsd += entry.costUsd ?? 0;
}
