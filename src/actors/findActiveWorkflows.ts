import { WORKFLOW_CATEGORY, workflowIdOf, type EventStore, type RecordedEvent } from '../eventstore/index.js';
import { TERMINAL_EVENT_TYPES } from '../machines/index.js';

const PAGE = 5_000;
const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_EVENT_TYPES);
/** A stream longer than this is loaded by the engine (through its snapshot cache), not kept from the scan. */
const KEEP_PER_STREAM = 100;
/** Events the scan keeps in memory at most, over all streams. */
const KEEP_TOTAL = 200_000;

export interface ActiveWorkflows {
  /** Non-terminal workflows whose last event leaves work for the runtime, or a due time to watch (a deadline). */
  resumable: string[];
  /** Non-terminal workflows waiting for a person, with no deadline. */
  waiting: string[];
  /**
   * The whole stream of resumable workflows whose streams are short, as the scan read them, so
   * recovery folds them without reading each stream again. The others are loaded as usual.
   */
  streams: Map<string, RecordedEvent[]>;
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
  /** Each unfinished workflow's events so far; null once it is too long to keep (or out of budget). */
  const kept = new Map<string, RecordedEvent[] | null>();
  let keptTotal = 0;
  const drop = (id: string): void => {
    keptTotal -= kept.get(id)?.length ?? 0;
    kept.set(id, null);
  };
  let from: bigint | 'start' = 'start';
  for (;;) {
    const page = await store.readAll({ fromPosition: from, limit: PAGE, filter: { streamPrefixes: [`${WORKFLOW_CATEGORY}-`] } });
    for (const record of page) {
      const id = workflowIdOf(record.stream);
      if (id === undefined) continue;
      last.set(id, record.type);
      if (record.type === 'WorkflowStarted' && hasDeadline(record.data)) deadlined.add(id);
      const events = kept.get(id);
      if (TERMINAL.has(record.type)) {
        keptTotal -= events?.length ?? 0;
        kept.delete(id);
      } else if (events === undefined) {
        if (record.revision === 0 && keptTotal < KEEP_TOTAL) {
          kept.set(id, [record]);
          keptTotal++;
        } else kept.set(id, null);
      } else if (events !== null) {
        if (events.length < KEEP_PER_STREAM && keptTotal < KEEP_TOTAL) {
          events.push(record);
          keptTotal++;
        } else drop(id);
      }
    }
    const tail = page[page.length - 1];
    if (page.length < PAGE || tail === undefined) break;
    from = tail.position + 1n;
  }
  const result: ActiveWorkflows = { resumable: [], waiting: [], streams: new Map() };
  for (const [id, type] of last) {
    if (TERMINAL.has(type)) continue;
    const waiting = type === 'HumanInputRequested' && !deadlined.has(id);
    (waiting ? result.waiting : result.resumable).push(id);
    const events = kept.get(id);
    if (!waiting && events !== null && events !== undefined) result.streams.set(id, events);
  }
  return result;
}

const hasDeadline = (data: unknown): boolean =>
  typeof data === 'object' && data !== null && (data as { policies?: { deadline?: unknown } }).policies?.deadline !== undefined;
