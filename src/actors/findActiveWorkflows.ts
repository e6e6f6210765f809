import type { Logger } from 'winston';
import { WORKFLOW_CATEGORY, workflowIdOf, type EventStore, type RecordedEvent } from '../eventstore/index.js';
import { isTerminalEventType } from '../machines/index.js';
import { type RecoveryCheckpoint, type Unfinished, chooseCheckpoint, readRecoveryCheckpoint, writeRecoveryCheckpoint } from './recoveryCheckpoint.js';

// Small pages: a background scan (the checkpoint advancing) holds the event loop a few ms at a time.
const PAGE = 1_000;
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
  /** What this scan proved, for the next one to start from; absent when it read nothing. */
  checkpoint?: RecoveryCheckpoint;
  /** Workflow events this scan read that a scan from `checkpoint` would not read again. */
  spared: number;
}

export interface ScanOptions {
  /** The last recovery checkpoint: the scan starts at its `scanFrom` and takes its listed workflows as found there. */
  from?: RecoveryCheckpoint;
  /** False: keep no events (the scan only advances the checkpoint). */
  keepStreams?: boolean;
}

/**
 * Scans the log for workflows that have not finished, by the type of each stream's last event.
 * Appends are atomic batches that end in StepStarted, CallCompleted (a step in flight), a wait
 * (HumanInputRequested, SignalAwaited, SleepStarted, a StepFailed with its retry) or a terminal
 * event, so the last type says whether work is pending. Only a workflow waiting for a person with
 * no deadline has nothing to watch: every other one is resumed, which arms its timers.
 *
 * From a checkpoint (recoveryCheckpoint.ts) the scan starts at its `scanFrom`: every workflow
 * whose stream begins before it had finished then, or is listed in it with its last event's type.
 * The result is the same as a scan from the start of the log, but for the streams handed over.
 */
export async function findActiveWorkflows(store: EventStore, options: ScanOptions = {}): Promise<ActiveWorkflows> {
  const checkpoint = options.from;
  const scanStart = checkpoint?.scanFrom ?? 0n;
  const keepTotal = options.keepStreams === false ? 0 : KEEP_TOTAL;
  const last = new Map<string, string>();
  /** Workflows started with a deadline: one waiting for a person still needs its timer armed. */
  const deadlined = new Set<string>();
  /** Where each unfinished workflow's stream begins, and how many workflow events the scan had read before it. */
  const starts = new Map<string, { position: bigint; ordinal: number }>();
  /** Each unfinished workflow's events so far; null once it is too long to keep (or out of budget). */
  const kept = new Map<string, RecordedEvent[] | null>();
  let keptTotal = 0;
  let ordinal = 0;
  let lastPosition: bigint | undefined;
  const listed = new Set<string>();
  for (const workflow of checkpoint?.listed ?? []) {
    listed.add(workflow.id);
    last.set(workflow.id, workflow.last);
    if (workflow.deadline === true) deadlined.add(workflow.id);
    kept.set(workflow.id, null);
  }
  const drop = (id: string): void => {
    keptTotal -= kept.get(id)?.length ?? 0;
    kept.set(id, null);
  };
  let from: bigint | 'start' = checkpoint?.scanFrom ?? 'start';
  for (;;) {
    const page = await store.readAll({ fromPosition: from, limit: PAGE, filter: { streamPrefixes: [`${WORKFLOW_CATEGORY}-`] } });
    for (const record of page) {
      const id = workflowIdOf(record.stream);
      if (id === undefined) continue;
      last.set(id, record.type);
      if (record.revision === 0) starts.set(id, { position: record.position, ordinal });
      ordinal++;
      if (record.type === 'WorkflowStarted' && hasDeadline(record.data)) deadlined.add(id);
      const events = kept.get(id);
      if (isTerminalEventType(record.type)) {
        // Finished is forever: nothing about it is needed again.
        keptTotal -= events?.length ?? 0;
        kept.delete(id);
        last.delete(id);
        starts.delete(id);
        deadlined.delete(id);
        listed.delete(id);
      } else if (events === undefined) {
        if (record.revision === 0 && keptTotal < keepTotal) {
          kept.set(id, [record]);
          keptTotal++;
        } else kept.set(id, null);
      } else if (events !== null) {
        if (events.length < KEEP_PER_STREAM && keptTotal < keepTotal) {
          events.push(record);
          keptTotal++;
        } else drop(id);
      }
    }
    const tail = page[page.length - 1];
    if (tail !== undefined) lastPosition = tail.position;
    if (page.length < PAGE || tail === undefined) break;
    from = tail.position + 1n;
  }
  const result: ActiveWorkflows = { resumable: [], waiting: [], streams: new Map(), spared: 0 };
  const unfinished: Unfinished[] = [];
  for (const [id, type] of last) {
    const waiting = type === 'HumanInputRequested' && !deadlined.has(id);
    (waiting ? result.waiting : result.resumable).push(id);
    const events = kept.get(id);
    if (!waiting && events !== null && events !== undefined) result.streams.set(id, events);
    // A stream whose start this scan did not see and that the checkpoint does not list began
    // before `scanStart`: the next scan must start there again.
    const start = listed.has(id) ? undefined : (starts.get(id) ?? { position: scanStart, ordinal: 0 });
    unfinished.push({ id, last: type, ...(deadlined.has(id) ? { deadline: true } : {}), waiting, ...(start === undefined ? {} : { start }) });
  }
  if (lastPosition !== undefined) {
    const next = chooseCheckpoint(lastPosition, ordinal, unfinished);
    result.checkpoint = next;
    result.spared = unfinished.find((workflow) => workflow.start?.position === next.scanFrom)?.start?.ordinal ?? ordinal;
  }
  return result;
}

/**
 * A recovery writes the checkpoint its scan proves only when that spares the next scan at least
 * this many events (about 3 ms of reading on SQLite). A short scan costs less than an event more
 * in the log each time a process that recovers often starts (each `ecl run` or `ecl send` that
 * claims a workflow, a worker taking partitions), and a refused command leaves a small log as it
 * found it.
 */
export const CHECKPOINT_WORTH_WRITING = 1_000;

/**
 * The scan recovery starts with (`'recover'`): from the last recovery checkpoint, recording the
 * one it proves when worth it (a cache: failing to write it only makes the next scan longer). Or
 * (`'advance'`) what a running engine does every so many recorded events so that its next recovery
 * scans little however long it ran: keeping no events, and writing whatever it spares.
 */
export async function scanForRecovery(store: EventStore, logger: Logger, purpose: 'recover' | 'advance' = 'recover'): Promise<ActiveWorkflows> {
  const checkpoint = await readRecoveryCheckpoint(store);
  const keepStreams = purpose === 'recover';
  const active = await findActiveWorkflows(store, { ...(checkpoint === undefined ? {} : { from: checkpoint }), keepStreams });
  if (active.checkpoint !== undefined && active.spared >= (purpose === 'recover' ? CHECKPOINT_WORTH_WRITING : 1)) {
    await writeRecoveryCheckpoint(store, active.checkpoint).catch((error: unknown) =>
      logger.warn('Recovery checkpoint not written', { error: (error as Error).message }),
    );
  }
  return active;
}

const hasDeadline = (data: unknown): boolean =>
  typeof data === 'object' && data !== null && (data as { policies?: { deadline?: unknown } }).policies?.deadline !== undefined;
