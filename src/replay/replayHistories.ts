import { type EventStore, type RecordedEvent, WORKFLOW_CATEGORY, workflowIdOf, workflowStream } from '../eventstore/index.js';
import { type AnyWorkflowDefinition, type DefinitionRegistry, createRegistry, isTerminalEventType } from '../machines/index.js';
import { isProjectionError } from '../projections/index.js';
import { replayHistory } from './replayHistory.js';

/** One workflow's recorded stream, as `history()` or `historiesOf(store)` return it. */
export interface WorkflowHistory {
  workflowId: string;
  events: readonly RecordedEvent[];
}

/** One history's replay: what folded it and, if it diverged, why. */
export interface HistoryReplay {
  workflowId: string;
  /** The definition and version the history names (absent when it could not be read). */
  definition?: string;
  version?: number;
  /** Events folded. */
  folded: number;
  /** Whether the history ends the workflow (completed, failed or cancelled). */
  finished: boolean;
  /** Why the definitions of today do not reproduce the history, if they do not. */
  error?: string;
  /**
   * What `error` is: `diverged` (the version that wrote it folds it differently), `not_registered`
   * (that version is not among the definitions), `unreadable` (the history is not a workflow's).
   */
  problem?: 'diverged' | 'not_registered' | 'unreadable';
}

/**
 * Histories that today's definitions do not reproduce (`code` `REPLAY_DIVERGENCE`): `failures`
 * lists them; the message names each workflow, the revision and the reason. Check with
 * {@link isReplayDivergence}.
 */
export class ReplayDivergenceError extends Error {
  override readonly name = 'ReplayDivergenceError';
  readonly code = 'REPLAY_DIVERGENCE';
  constructor(readonly failures: readonly HistoryReplay[]) {
    super(failures.map((failure) => `${failure.workflowId}: ${failure.error}`).join('\n'));
  }
}

/** Whether `error` is a {@link ReplayDivergenceError}. */
export const isReplayDivergence = (error: unknown): error is ReplayDivergenceError =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'REPLAY_DIVERGENCE';

/**
 * Replays stored histories against your definitions, as `ecl replay --verify` does (after Temporal's
 * `Worker.runReplayHistories`): each history is folded through the definition version that wrote
 * it, every recorded decision is re-decided and compared, and no step function or model runs. Use
 * it before you deploy a changed definition: a history it cannot reproduce means the change needs a
 * new version. Resolves with one result per history; rejects with a {@link ReplayDivergenceError}
 * listing every failure when `throwOnDivergence` is set (the default). Rejects when there was no
 * history at all (a store path with a typo opens an empty store), unless `allowEmpty` is set.
 */
export async function replayHistories(
  definitions: readonly AnyWorkflowDefinition[] | DefinitionRegistry,
  histories: Iterable<WorkflowHistory> | AsyncIterable<WorkflowHistory>,
  options: { throwOnDivergence?: boolean | undefined; allowEmpty?: boolean | undefined; onReplayed?: ((replay: HistoryReplay) => void) | undefined } = {},
): Promise<HistoryReplay[]> {
  const registry = Array.isArray(definitions) ? createRegistry(definitions) : (definitions as DefinitionRegistry);
  const results: HistoryReplay[] = [];
  for await (const history of histories) {
    const replay = replayOne(registry, history);
    results.push(replay);
    options.onReplayed?.(replay);
  }
  if (results.length === 0 && options.allowEmpty !== true)
    throw new Error(
      'replayHistories was given no history: a check that replays nothing proves nothing (a store path with a typo, or relative to another folder, opens an empty store). Pass { allowEmpty: true } when none is expected.',
    );
  const failures = results.filter((result) => result.error !== undefined);
  if (failures.length > 0 && options.throwOnDivergence !== false) throw new ReplayDivergenceError(failures);
  return results;
}

function replayOne(registry: DefinitionRegistry, { workflowId, events }: WorkflowHistory): HistoryReplay {
  const finished = isTerminalEventType(events.at(-1)?.type);
  try {
    const result = replayHistory(workflowId, events, {
      definitionFor: (name, version) => registry.get(name, version),
      verify: true,
      onTransition: () => {},
    });
    const replay: HistoryReplay = { workflowId, definition: result.definition, version: result.version, folded: result.folded, finished };
    return result.divergence === undefined
      ? replay
      : { ...replay, error: `revision ${result.divergence.revision}: ${result.divergence.reason}`, problem: 'diverged' };
  } catch (error) {
    const notRegistered = isProjectionError(error) && error.code === 'DEFINITION_NOT_REGISTERED';
    // The start names its definition and version (the fold could not get past it).
    const started = notRegistered ? (events[0]?.data as { definition?: unknown; version?: unknown }) : {};
    return {
      workflowId,
      ...(typeof started.definition === 'string' ? { definition: started.definition } : {}),
      ...(typeof started.version === 'number' ? { version: started.version } : {}),
      folded: 0,
      finished,
      error: (error as Error).message,
      problem: notRegistered ? 'not_registered' : 'unreadable',
    };
  }
}

/**
 * Every workflow's history in a store (e.g. a copy of production's SQLite file), one at a time, in
 * the order the workflows were started; reads only. Store errors pass through.
 */
export async function* historiesOf(store: Pick<EventStore, 'readAll' | 'readStream'>): AsyncGenerator<WorkflowHistory> {
  const seen = new Set<string>();
  let from: bigint | 'start' = 'start';
  for (;;) {
    const page = await store.readAll({ fromPosition: from, limit: 1_000, filter: { streamPrefixes: [`${WORKFLOW_CATEGORY}-`] } });
    for (const record of page) {
      const id = workflowIdOf(record.stream);
      if (id === undefined || seen.has(id)) continue;
      seen.add(id);
      yield { workflowId: id, events: await store.readStream(workflowStream(id)) };
    }
    const tail = page[page.length - 1];
    if (page.length < 1_000 || tail === undefined) return;
    from = tail.position + 1n;
  }
}
