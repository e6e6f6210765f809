import { WORKFLOW_CATEGORY, workflowIdOf, type EventStore } from '../eventstore/index.js';
import { TERMINAL_EVENT_TYPES } from '../machines/index.js';

const PAGE = 5_000;
const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_EVENT_TYPES);

export interface ActiveWorkflows {
  /** Non-terminal workflows whose last event leaves work for the runtime, or a due time to watch (a deadline). */
  resumable: string[];
  /** Non-terminal workflows waiting for a person, with no deadline. */
  waiting: string[];
}

/**
 * Scans the log for workflows that have not finished, by the type of each stream's last event.
 * Appends are atomic batches that end in StepStarted, CallCompleted (a step in flight), a wait
 * (HumanInputRequested, SignalAwaited, SleepStarted, a StepFailed with its retry) or a terminal
 * event, so the last type says whether work is pending. Only a workflow waiting for a person with
 * no deadline has nothing to watch: every other one is resumed, which arms its timers.
 */
export async function findActiveWorkflows(store: EventStore): Promise<ActiveWorkflows> {
  const last = new Map<string, string>();
  /** Workflows started with a deadline: one waiting for a person still needs its timer armed. */
  const deadlined = new Set<string>();
  let from: bigint | 'start' = 'start';
  for (;;) {
    const page = await store.readAll({ fromPosition: from, limit: PAGE, filter: { streamPrefixes: [`${WORKFLOW_CATEGORY}-`] } });
    for (const record of page) {
      const id = workflowIdOf(record.stream);
      if (id === undefined) continue;
      last.set(id, record.type);
      if (record.type === 'WorkflowStarted' && hasDeadline(record.data)) deadlined.add(id);
    }
    const tail = page[page.length - 1];
    if (page.length < PAGE || tail === undefined) break;
    from = tail.position + 1n;
  }
  const result: ActiveWorkflows = { resumable: [], waiting: [] };
  for (const [id, type] of last) {
    if (TERMINAL.has(type)) continue;
    (type === 'HumanInputRequested' && !deadlined.has(id) ? result.waiting : result.resumable).push(id);
  }
  return result;
}

const hasDeadline = (data: unknown): boolean =>
  typeof data === 'object' && data !== null && (data as { policies?: { deadline?: unknown } }).policies?.deadline !== undefined;
