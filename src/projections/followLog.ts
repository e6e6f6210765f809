import type { Subscription } from 'rxjs';
import type { Logger } from 'winston';
import { WORKFLOW_CATEGORY, type EventStore, type RecordedEvent, type StreamFilter } from '../eventstore/index.js';

export const WORKFLOW_FILTER: StreamFilter = { streamPrefixes: [`${WORKFLOW_CATEGORY}-`] };

type MaybePromise<T> = T | Promise<T>;

export interface BatchResult {
  applied: number;
  skipped: number;
  /** At or before the checkpoint: already applied, so left alone. */
  ignored: number;
  checkpoint: bigint | null;
}

export interface CatchUpProgress {
  processed: number;
  checkpoint: bigint | null;
  /** Newest workflow event when the catch-up began. */
  head: bigint | null;
}

export interface Lag {
  head: bigint | null;
  checkpoint: bigint | null;
  /** Global positions between the newest workflow event and the checkpoint (0 when caught up). */
  positions: bigint;
}

/** Where a runner's read models stand: the checkpoint, and how many rebuilds they went through. */
export interface StartingPoint {
  position: bigint | null;
  generation: number;
}

export const headOfWorkflows = async (store: EventStore): Promise<bigint | null> =>
  (await store.readAll({ fromPosition: 'end', direction: 'backwards', limit: 1, filter: WORKFLOW_FILTER }))[0]?.position ?? null;

export function lagOf(head: bigint | null, checkpoint: bigint | null): Lag {
  const positions = head === null ? 0n : checkpoint === null ? head + 1n : head > checkpoint ? head - checkpoint : 0n;
  return { head, checkpoint, positions };
}

/** Reads the log from `checkpoint()` up to the head as it was when called, a page per batch. */
export async function catchUpFromLog(options: {
  store: EventStore;
  batchSize: number;
  checkpoint: () => MaybePromise<bigint | null>;
  applyBatch: (events: readonly RecordedEvent[]) => MaybePromise<BatchResult | undefined>;
  onProgress?: ((progress: CatchUpProgress) => void) | undefined;
}): Promise<CatchUpProgress> {
  const { store, batchSize } = options;
  const head = await headOfWorkflows(store);
  let processed = 0;
  let checkpoint = await options.checkpoint();
  while (head !== null && (checkpoint === null || checkpoint < head)) {
    const page = await store.readAll({ fromPosition: checkpoint === null ? 'start' : checkpoint + 1n, limit: batchSize, filter: WORKFLOW_FILTER });
    if (page.length === 0) break;
    const result = await options.applyBatch(page);
    processed += page.length;
    checkpoint = result?.checkpoint ?? (await options.checkpoint());
    options.onProgress?.({ processed, checkpoint, head });
  }
  return { processed, checkpoint, head };
}

export interface LogFollowerOptions {
  store: EventStore;
  batchSize: number;
  logger: Logger;
  retryDelaysMs: readonly number[];
  onFailure?: ((error: unknown, retryInMs: number) => void) | undefined;
  /** The checkpoint to follow from, read afresh at each (re)start. */
  startingPoint(): MaybePromise<StartingPoint>;
  /** Applies a batch read live; `undefined` when the read models were rebuilt since `generation`. */
  applyBatch(events: readonly RecordedEvent[], generation: number): MaybePromise<BatchResult | undefined>;
  /** Following failed: whoever waits for the checkpoint learns why. */
  failWaiters(error: unknown): void;
}

export interface LogFollower {
  /** Follows the log live from the checkpoint; a no-op while following. */
  start(): void;
  /** Applies what was already received, then stops following; no retry is armed afterwards. */
  stop(): Promise<void>;
  /** Stops following at once, dropping what was received; true when it was following. */
  halt(): boolean;
}

/**
 * Follows the log live for a projection runner: events are batched (up to `batchSize`, or what
 * arrived in one turn of the event loop) and applied one batch at a time, synchronously or not.
 * A failed batch or subscription fails the waiters and follows the log again from the checkpoint
 * after the next of `retryDelaysMs`, until `stop`; a stale batch (a rebuild made elsewhere)
 * follows again at once from the new checkpoint.
 */
export function createLogFollower(options: LogFollowerOptions): LogFollower {
  const { store, batchSize, logger, retryDelaysMs } = options;
  interface Feed {
    subscription: Subscription | undefined;
    pending: RecordedEvent[];
    scheduled: NodeJS.Immediate | undefined;
    generation: number;
    /** The batch being applied, when applying is asynchronous: the next one waits for it. */
    applying: Promise<void> | undefined;
  }
  let live: Feed | undefined;
  let failuresInARow = 0;
  let retry: NodeJS.Timeout | undefined;
  /** `stop` was called: a failure while stopping must not arm another retry. */
  let stopped = false;

  const halt = (): boolean => {
    const state = live;
    if (state === undefined) return false;
    if (state.scheduled !== undefined) clearImmediate(state.scheduled);
    state.subscription?.unsubscribe();
    live = undefined;
    return true;
  };

  const failLive = (error: unknown, what: string) => {
    halt();
    options.failWaiters(error);
    if (stopped) return;
    const delay = retryDelaysMs[Math.min(failuresInARow, retryDelaysMs.length - 1)] ?? 0;
    failuresInARow += 1;
    logger.error(`${what}: following the log again from the checkpoint in ${delay} ms`, { error, failuresInARow });
    options.onFailure?.(error, delay);
    retry = setTimeout(() => {
      retry = undefined;
      try {
        follower.start();
      } catch (startError) {
        failLive(startError, 'projection could not follow the log');
      }
    }, delay);
    retry.unref();
  };

  const settled = (state: Feed, result: BatchResult | undefined) => {
    if (live !== state) return;
    if (result !== undefined) {
      failuresInARow = 0;
      return;
    }
    logger.info('projection was rebuilt elsewhere: following the log again from the new checkpoint');
    halt();
    follower.start();
  };

  const flush = (): void => {
    const state = live;
    if (state === undefined) return;
    if (state.scheduled !== undefined) clearImmediate(state.scheduled);
    state.scheduled = undefined;
    // The batch in flight flushes again when it is done.
    if (state.applying !== undefined || state.pending.length === 0) return;
    const batch = state.pending.splice(0, batchSize);
    try {
      const result = options.applyBatch(batch, state.generation);
      if (!(result instanceof Promise)) {
        settled(state, result);
        if (live === state && state.pending.length > 0) state.scheduled = setImmediate(flush);
        return;
      }
      state.applying = result.then(
        (outcome) => {
          state.applying = undefined;
          settled(state, outcome);
          if (live === state) flush();
        },
        (error: unknown) => {
          state.applying = undefined;
          if (live === state) failLive(error, 'projection batch failed');
        },
      );
    } catch (error) {
      failLive(error, 'projection batch failed');
    }
  };

  const subscribe = (state: Feed, point: StartingPoint) => {
    if (live !== state) return;
    state.generation = point.generation;
    const subscribeOptions = point.position === null ? { filter: WORKFLOW_FILTER } : { afterPosition: point.position, filter: WORKFLOW_FILTER };
    state.subscription = store.subscribeToAll(subscribeOptions).subscribe({
      next: (event) => {
        if (live !== state) return;
        state.pending.push(event);
        if (state.pending.length >= batchSize) flush();
        else state.scheduled ??= setImmediate(flush);
      },
      error: (error: unknown) => {
        if (live !== state) return;
        flush();
        if (live === state) failLive(error, 'projection subscription failed');
      },
    });
    // A store that replays synchronously may have delivered (and a stale batch stopped us) before `subscribe` returned.
    if (live !== state) state.subscription.unsubscribe();
  };

  const follower: LogFollower = {
    start() {
      if (live !== undefined) return;
      stopped = false;
      clearTimeout(retry);
      retry = undefined;
      const state: Feed = { subscription: undefined, pending: [], scheduled: undefined, generation: 0, applying: undefined };
      live = state;
      const point = options.startingPoint();
      if (!(point instanceof Promise)) return subscribe(state, point);
      point.then(
        (value) => subscribe(state, value),
        (error: unknown) => {
          if (live === state) failLive(error, 'projection could not follow the log');
        },
      );
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      retry = undefined;
      const state = live;
      state?.subscription?.unsubscribe();
      while (state !== undefined && live === state && (state.applying !== undefined || state.pending.length > 0)) {
        flush();
        await state.applying;
      }
      halt();
    },
    halt,
  };
  return follower;
}
