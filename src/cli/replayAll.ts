import type { EventStore } from '../eventstore/index.js';
import type { DefinitionRegistry } from '../machines/index.js';
import { type HistoryReplay, historiesOf, replayHistories } from '../replay/index.js';

/** How often a long check says how far it is (stderr). */
const PROGRESS_EVERY_MS = 2_000;

const label = (replay: HistoryReplay): string => (replay.definition === undefined ? '(unknown definition)' : `${replay.definition} v${replay.version}`);

/**
 * `ecl replay --all`: every workflow in the store folded through the version that wrote it, each
 * recorded decision re-taken (as `--verify`), before a deploy. Fails (exit 1) on a divergence, an
 * unreadable history, or an unfinished workflow whose version is not registered; a finished one
 * whose version is gone is listed, not failed (it only needs that version to be replayed). A check
 * that verified nothing (an empty store, or no history of a loaded version) fails too: it is
 * likely the wrong store or the wrong modules.
 */
export async function replayAll(
  store: Pick<EventStore, 'readAll' | 'readStream' | 'description'>,
  registry: DefinitionRegistry,
  options: { json: boolean; out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  const registered = registry.list().map((definition) => `${definition.name} v${definition.version}`);
  if (!options.json) options.err(`Replaying every workflow in ${store.description} with ${registered.length === 0 ? 'no definitions' : registered.join(', ')}`);
  let lastSaid = Date.now();
  let events = 0;
  let seen = 0;
  // An empty store is reported below as nothing verified.
  const replays = await replayHistories(registry, historiesOf(store), {
    throwOnDivergence: false,
    allowEmpty: true,
    onReplayed: (replay) => {
      seen += 1;
      events += replay.folded;
      if (!options.json && replay.problem !== undefined) options.out(problemLine(replay));
      if (options.json || Date.now() - lastSaid < PROGRESS_EVERY_MS) return;
      lastSaid = Date.now();
      options.err(`… ${seen.toLocaleString('en-US')} workflows so far`);
    },
  });
  const byVersion = new Map<string, number>();
  for (const replay of replays) if (replay.problem === undefined) byVersion.set(label(replay), (byVersion.get(label(replay)) ?? 0) + 1);
  const failing = replays.filter((replay) => replay.problem !== undefined && !(replay.problem === 'not_registered' && replay.finished));
  const retired = replays.filter((replay) => replay.problem === 'not_registered' && replay.finished);
  const passed = replays.length - failing.length - retired.length;
  const verified = failing.length === 0 && passed > 0;
  if (options.json) {
    options.out(
      JSON.stringify(
        {
          verified,
          workflows: replays.length,
          events,
          byVersion: Object.fromEntries(byVersion),
          problems: replays
            .filter((replay) => replay.problem !== undefined)
            .map(({ workflowId, definition, version, finished, problem, error }) => ({ workflowId, definition, version, finished, problem, error })),
        },
        null,
        2,
      ),
    );
  } else {
    const counts = [...byVersion].map(([version, count]) => `${version}: ${count.toLocaleString('en-US')}`).join(', ');
    options.err(
      [
        `${verified ? 'verified' : 'not verified'}: ${passed.toLocaleString('en-US')} of ${replays.length.toLocaleString('en-US')} workflows reproduce their recorded history (${events.toLocaleString('en-US')} events${counts === '' ? '' : `; ${counts}`})`,
        ...(replays.length === 0 ? [`No workflow is recorded in ${store.description}: is it the store you meant?`] : []),
        ...(replays.length > 0 && passed === 0 && failing.length === 0
          ? ['None was written by a loaded definition version: are these the modules you deploy?']
          : []),
        ...(failing.length === 0 ? [] : [`${failing.length} cannot be replayed with these definitions (listed above)`]),
        ...(retired.length === 0
          ? []
          : [`${retired.length} finished workflow(s) of a version no longer registered (listed above; replaying them needs that version)`]),
      ].join('\n'),
    );
  }
  return verified ? 0 : 1;
}

/** One line per workflow that does not replay: what, which, and why. */
function problemLine(replay: HistoryReplay): string {
  const line = (what: string, why: string | undefined) => `${what.padEnd(10)} ${replay.workflowId}  ${label(replay)}: ${why}`;
  switch (replay.problem) {
    case 'diverged':
      return line('diverges', replay.error);
    case 'not_registered':
      return replay.finished
        ? line('retired', 'not registered (finished: only a replay of it needs that version)')
        : line('blocked', 'not registered (unfinished: it waits for a worker that has that version)');
    default:
      return line('unreadable', replay.error);
  }
}
