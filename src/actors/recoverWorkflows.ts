import type { Logger } from 'winston';
import type { EventStore, RecordedEvent } from '../eventstore/index.js';
import { viewOf } from '../machines/index.js';
import { isEngineError } from './errors.js';
import { scanForRecovery } from './findActiveWorkflows.js';
import type { RecoverOptions, RecoverResult } from './types.js';
import type { WorkflowActor } from './workflowActor.js';
import { writtenBy } from './writtenBy.js';

/** Workflows `recover()` loads and drives at once. */
const RECOVER_CONCURRENCY = 256;

export interface RecoveryDeps {
  store: EventStore;
  logger: Logger;
  /** The engine's live actor for a workflow, loaded (from `scanned`, when the scan kept its stream) if need be. */
  actorFor(workflowId: string, scanned?: readonly RecordedEvent[]): Promise<WorkflowActor | undefined>;
}

/**
 * `Engine.recover()`: scans the log for unfinished workflows (from the recovery checkpoint), then
 * loads and drives each one that has work to do; one waiting for a person is only counted.
 */
export async function recoverWorkflows({ store, logger, actorFor }: RecoveryDeps, options: RecoverOptions): Promise<RecoverResult> {
  const active = await scanForRecovery(store, logger);
  const only = options.only;
  if (only !== undefined) {
    active.resumable = active.resumable.filter(only);
    active.waiting = active.waiting.filter(only);
  }
  const blocked: NonNullable<RecoverResult['blocked']> = [];
  let waitingLoaded = 0;
  const recoverOne = async (workflowId: string): Promise<boolean> => {
    const scanned = active.streams.get(workflowId);
    active.streams.delete(workflowId);
    const actor = await actorFor(workflowId, scanned).catch(async (error: unknown) => {
      // One workflow on a version this deployment dropped must not keep the others (and `ecl serve`) from starting.
      if (!isEngineError(error) || error.code !== 'UNKNOWN_DEFINITION_VERSION') throw error;
      const written = await writtenBy(store, workflowId);
      if (written === undefined) throw error;
      logger.warn('Workflow not recovered: the definition version that started it is not registered', { workflowId, ...written });
      blocked.push({ workflowId, ...written });
      return undefined;
    });
    if (actor === undefined || actor.hasWorkInFlight) return false;
    await actor.drive();
    // Loaded to arm a timer (a signal's timeout, a deadline), it still waits for someone.
    if (actor.snapshot.status === 'active' && viewOf(actor.snapshot).status === 'waiting') {
      waitingLoaded++;
      return false;
    }
    return true;
  };
  // Many at once: timers that came due while the process was down fire together, their appends
  // grouped. Each runner takes the next workflow from the one shared iterator.
  const recovered = new Set<string>();
  const next = active.resumable.values();
  await Promise.all(
    Array.from({ length: RECOVER_CONCURRENCY }, async () => {
      for (const workflowId of next) if (await recoverOne(workflowId)) recovered.add(workflowId);
    }),
  );
  const resumed = active.resumable.filter((workflowId) => recovered.has(workflowId));
  const waiting = active.waiting.length + waitingLoaded;
  if (resumed.length > 0) logger.info('Recovered workflows', { resumed: resumed.length, waiting });
  return { resumed, waiting, ...(blocked.length === 0 ? {} : { blocked }) };
}
