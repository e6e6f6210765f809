import type { EventStore, JsonValue } from '../eventstore/index.js';

/** Recovery's checkpoint lives beside the workflows, never among them: a cache the log can rebuild. */
export const RECOVERY_STREAM = 'ecl.recovery-checkpoint';
const CHECKPOINT_EVENT = 'RecoveryCheckpointTaken';
/** Bump when the recorded shape changes: older checkpoints are then ignored and the whole log scanned. */
const SCHEMA = 1;
/**
 * What recovery pays to load a listed workflow (its snapshot cache and its stream: two reads), in
 * events of scan: on SQLite a read of a short stream costs about 26 µs, a scanned event 2.9 µs
 * (`npm run bench -- recovery`, floors).
 */
const LOAD_COST_IN_EVENTS = 16;
/** The listed workflows stay well inside one event (the stores take 1 MiB per append by default). */
const MAX_LISTED_BYTES = 512 * 1024;

/** An unfinished workflow the checkpoint names, with its last event's type, because its stream begins before `scanFrom`. */
export interface ListedWorkflow {
  id: string;
  last: string;
  /** Started with a deadline (a wait for a person still has a timer to arm). */
  deadline?: true;
}

/**
 * What a scan of the log up to `position` proved: every workflow whose stream begins before
 * `scanFrom` had finished, but the `listed` ones (unfinished then, with the type of their last
 * event). Finished is forever, so a checkpoint stays true however the log grows; the next scan
 * starts at `scanFrom` instead of at the start of the log, and recovery loads the listed
 * workflows one by one. Which unfinished workflows to list, and which to scan again, is a cost:
 * see `chooseCheckpoint`.
 */
export interface RecoveryCheckpoint {
  position: bigint;
  scanFrom: bigint;
  listed: ListedWorkflow[];
}

/** An unfinished workflow as a scan left it: `start` is where its stream begins, unless the checkpoint it came from listed it. */
export interface Unfinished extends ListedWorkflow {
  /** Waiting for a person without a deadline: recovery counts it and loads nothing. */
  waiting: boolean;
  /** Its first event, and how many workflow events the scan read before it. */
  start?: { position: bigint; ordinal: number };
}

/**
 * The checkpoint a scan up to `position` (having read `scanned` workflow events) proves, choosing
 * where the next scan starts: at the oldest unfinished workflow's first event, or later, listing
 * the older ones instead. Listing one costs recovery a load (nothing for a wait for a person),
 * scanning from it costs every event since; the cheapest cut wins, so a workflow waiting for days
 * is listed rather than making every restart scan the days since it began.
 */
export function chooseCheckpoint(position: bigint, scanned: number, unfinished: readonly Unfinished[]): RecoveryCheckpoint {
  const listed: ListedWorkflow[] = [];
  const candidates: (Unfinished & { start: NonNullable<Unfinished['start']> })[] = [];
  let bytes = 0;
  for (const workflow of unfinished) {
    if (workflow.start === undefined) {
      listed.push(asListed(workflow));
      bytes += sizeOf(workflow);
    } else candidates.push(workflow as (typeof candidates)[number]);
  }
  candidates.sort((a, b) => a.start.ordinal - b.start.ordinal);
  // Cut k: list candidates[0..k), scan from candidates[k].
  let best = { cut: 0, cost: Number.POSITIVE_INFINITY };
  let loads = 0;
  for (let cut = 0; cut <= candidates.length; cut++) {
    const next = candidates[cut];
    const cost = loads + (next === undefined ? 0 : scanned - next.start.ordinal);
    if (cost < best.cost) best = { cut, cost };
    if (next === undefined || (bytes += sizeOf(next)) > MAX_LISTED_BYTES) break;
    loads += next.waiting ? 1 : LOAD_COST_IN_EVENTS;
  }
  for (const workflow of candidates.slice(0, best.cut)) listed.push(asListed(workflow));
  return { position, scanFrom: candidates[best.cut]?.start.position ?? position + 1n, listed };
}

const asListed = (workflow: ListedWorkflow): ListedWorkflow => ({
  id: workflow.id,
  last: workflow.last,
  ...(workflow.deadline === true ? { deadline: true } : {}),
});
const sizeOf = (workflow: ListedWorkflow): number => workflow.id.length + workflow.last.length + 40;

export async function readRecoveryCheckpoint(store: EventStore): Promise<RecoveryCheckpoint | undefined> {
  const [record] = await store.readStream(RECOVERY_STREAM, { direction: 'backwards', from: 'end', limit: 1 });
  if (record?.type !== CHECKPOINT_EVENT) return undefined;
  const data = record.data as { schema?: unknown; position?: unknown; scanFrom?: unknown; listed?: unknown };
  if (data.schema !== SCHEMA || typeof data.position !== 'string' || typeof data.scanFrom !== 'string' || !Array.isArray(data.listed)) return undefined;
  const listed = data.listed as unknown[];
  if (!listed.every(isListed)) return undefined;
  try {
    return { position: BigInt(data.position), scanFrom: BigInt(data.scanFrom), listed };
  } catch {
    return undefined;
  }
}

const isListed = (value: unknown): value is ListedWorkflow => {
  const workflow = value as Partial<ListedWorkflow> | null;
  return typeof workflow === 'object' && workflow !== null && typeof workflow.id === 'string' && typeof workflow.last === 'string';
};

export async function writeRecoveryCheckpoint(store: EventStore, checkpoint: RecoveryCheckpoint): Promise<void> {
  const { position, scanFrom, listed } = checkpoint;
  const data = { schema: SCHEMA, position: String(position), scanFrom: String(scanFrom), listed: listed as unknown as JsonValue };
  await store.append(RECOVERY_STREAM, [{ type: CHECKPOINT_EVENT, data }], { expectedRevision: 'any' });
}
