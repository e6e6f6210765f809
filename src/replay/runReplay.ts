import type { EventStore } from '../eventstore/index.js';
import { startInspectorRelay, type InspectorRelay } from '../inspect/index.js';
import type { DefinitionRegistry } from '../machines/index.js';
import { createTransitionFormatter, formatReplay, formatReplayHeader } from './formatReplay.js';
import { feedInspector } from './inspectReplay.js';
import { replayWorkflow } from './replayWorkflow.js';

export interface RunReplayOptions {
  workflowId: string;
  store: Pick<EventStore, 'readStream'>;
  registry: Pick<DefinitionRegistry, 'get'>;
  to?: number;
  verify?: boolean;
  json?: boolean;
  /** Serve the replayed history to the Stately inspector on this loopback port (0 = any). */
  inspectPort?: number;
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface RunReplayOutcome {
  exitCode: number;
  /** Open while the inspector is being served; the caller closes it. */
  relay?: InspectorRelay;
}

/**
 * `ecl replay`: fold, print each transition, optionally verify and serve to the inspector. Reads
 * only. Text is printed as the fold goes, so a long stream replays in constant memory; `--json`
 * and `--inspect` need the whole history and keep it.
 */
export async function runReplay(options: RunReplayOptions): Promise<RunReplayOutcome> {
  const keep = options.json === true || options.inspectPort !== undefined;
  const line = createTransitionFormatter();
  const result = await replayWorkflow(options.workflowId, {
    store: options.store,
    registry: options.registry,
    ...(options.to === undefined ? {} : { to: options.to }),
    verify: options.verify === true,
    ...(keep ? {} : { onStart: (header) => options.out(formatReplayHeader(header)), onTransition: (transition) => options.out(line(transition)) }),
  });
  if (options.json) {
    options.out(
      JSON.stringify(
        {
          ...result,
          snapshot: { value: result.snapshot.value, status: result.snapshot.status, context: result.snapshot.context },
          // With --verify, the verdict a script reads (the divergence, if any, is beside it).
          ...(options.verify === true ? { verified: result.divergence === undefined } : {}),
        },
        null,
        2,
      ),
    );
  } else if (keep) {
    for (const text of formatReplay(result)) options.out(text);
  }
  let exitCode = 0;
  if (result.divergence !== undefined) {
    options.err(`replay diverges at revision ${result.divergence.revision}: ${result.divergence.reason}`);
    exitCode = 1;
  } else if (options.verify) {
    options.err(
      `verified: the fold reproduces the recorded history${options.to === undefined ? ' and outcome' : ` up to revision ${options.to}`} (${result.folded} events)`,
    );
  }
  if (options.inspectPort === undefined) return { exitCode };
  // The whole history is kept for the page, however late it connects: a replay is finite.
  const relay = await startInspectorRelay({ port: options.inspectPort, bufferSize: Number.POSITIVE_INFINITY });
  const machine = options.registry.get(result.definition, result.version)?.machine;
  if (machine !== undefined) feedInspector(relay.inspector, result, machine);
  options.err(`inspector: open ${relay.url} (Ctrl-C to stop)`);
  return { exitCode, relay };
}
