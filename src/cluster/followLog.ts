import type { Subscription } from 'rxjs';
import type { Logger } from 'winston';
import type { EventStore, RecordedEvent } from '../eventstore/index.js';

/** Back-off before following the log again after the follower failed. */
const REFOLLOW_MS = 1_000;

/** Other writers' events, for the engine; paused while this process is alone on the store. */
export interface LogFollower {
  /** Ids of this engine's appends (told before each append): not passed on. */
  recording(eventIds: readonly string[]): void;
  notRecorded(eventIds: readonly string[]): void;
  /** Each heartbeat tells the head it read: while paused, where following would start again. */
  beat(head: bigint): void;
  /** Follows when another process shares the store, pauses when none does. */
  follow(others: boolean): void;
  /** Positions behind `head` (0 while paused). */
  lag(head: bigint): number;
  close(): void;
}

/**
 * Follows the log (`subscribeToAll`) and hands every event this engine did not write to
 * `deliver`. Alone, nothing but this engine writes, so it is paused: reading every append back
 * would cost a single process about 15 % of its throughput. Another process registers (a lease
 * sync) before it appends, and the next heartbeat sees that sync, so a follower resuming from the
 * head read one beat before it misses nothing; what it reads again of this engine's own appends
 * the engine recognises by its live copies' revisions.
 */
export function createLogFollower(store: EventStore, logger: Logger, start: bigint, deliver: (event: RecordedEvent) => void): LogFollower {
  const own = new Set<string>();
  let subscription: Subscription | undefined;
  let wanted = false;
  let closed = false;
  let followed = start;
  let resumeFrom = start;
  let lastHead = start;

  const subscribe = (from: bigint): void => {
    if (closed) return;
    followed = from;
    subscription = store.subscribeToAll({ afterPosition: from }).subscribe({
      next: (event) => {
        followed = event.position;
        if (!own.delete(event.id)) deliver(event);
      },
      error: (error: unknown) => {
        subscription = undefined;
        logger.warn('Following the log failed; following again', { error: (error as Error).message });
        setTimeout(() => wanted && subscription === undefined && subscribe(followed), REFOLLOW_MS).unref();
      },
    });
  };
  const pause = (): void => {
    wanted = false;
    own.clear();
    subscription?.unsubscribe();
    subscription = undefined;
    lastHead = followed;
  };

  return {
    recording(eventIds) {
      if (wanted) for (const eventId of eventIds) own.add(eventId);
    },
    notRecorded(eventIds) {
      for (const eventId of eventIds) own.delete(eventId);
    },
    beat(head) {
      if (wanted) return;
      resumeFrom = lastHead;
      lastHead = head;
    },
    follow(others) {
      if (others && !wanted) {
        wanted = true;
        subscribe(resumeFrom);
      } else if (!others && wanted) pause();
    },
    lag: (head) => (subscription === undefined || head <= followed ? 0 : Number(head - followed)),
    close() {
      closed = true;
      pause();
    },
  };
}
