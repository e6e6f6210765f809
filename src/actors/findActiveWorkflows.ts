import { WORKFLOW_CATEGORY, workflowIdOf, type EventStore } from '../eventstore/index.js';
import { TERMINAL_EVENT_TYPES } from '../machines/index.js';

const PAGE = 5_000;
const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_EVENT_TYPES);

export interface ActiveWorkflows {
  /** Non-terminal workflows whose last event leaves work for the runtime. */
  resumable: string[];
  /** Non-terminal workflows waiting for a person. */
  waiting: string[];
}

/**
 * Scans the log for workflows that have not finished, by the type of each stream's last event.
 * Appends are atomic batches that end in StepStarted, CallCompleted (a step in flight),
 * HumanInputRequested or a terminal event, so the last type says whether work is pending.
 */
export async function findActiveWorkflows(store: EventStore): Promise<ActiveWorkflows> {
  const last = new Map<string, string>();
  let from: bigint | 'start' = 'start';
  for (;;) {
    const page = await store.readAll({ fromPosition: from, limit: PAGE, filter: { streamPrefixes: [`${WORKFLOW_CATEGORY}-`] } });
    for (const record of page) {
      const id = workflowIdOf(record.stream);
      if (id !== undefined) last.set(id, record.type);
    }
    const tail = page[page.length - 1];
    if (page.length < PAGE || tail === undefined) break;
    from = tail.position + 1n;
  }
  const result: ActiveWorkflows = { resumable: [], waiting: [] };
  for (const [id, type] of last) {
    if (TERMINAL.has(type)) continue;
    (type === 'HumanInputRequested' ? result.waiting : result.resumable).push(id);
  }
  return result;
}
