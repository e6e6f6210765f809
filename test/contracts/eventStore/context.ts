import { randomUUID } from 'node:crypto';
import { firstValueFrom, type Observable, take, timeout, toArray } from 'rxjs';
import { afterEach, beforeEach, expect } from 'vitest';
import type { EventStore, EventToAppend, JsonValue, EventMetadata, EventStoreErrorCode } from '../../../src/eventstore/index.js';

export type EventStoreFactory = () => Promise<{ store: EventStore; cleanup?: () => Promise<void> }>;

/** What each contract section gets: the store under test (fresh per test) and unique stream names. */
export interface ContractContext {
  readonly store: EventStore;
  /** A stream name unique to this test; every name from one test shares `prefix`. */
  stream(label: string): string;
  readonly prefix: string;
  /** Opens one more store from the factory (closed after the test). */
  openAnother(): Promise<EventStore>;
}

/**
 * Registers per-test setup: a new store from the factory and a random stream prefix, so the
 * suite also runs against a long-lived server (KurrentDB) whose log is never empty.
 */
export function useContractContext(factory: EventStoreFactory): ContractContext {
  let current: EventStore | undefined;
  let prefix = '';
  const cleanups: Array<() => Promise<void>> = [];

  const open = async (): Promise<EventStore> => {
    const { store, cleanup } = await factory();
    cleanups.push(async () => {
      await store.close();
      await cleanup?.();
    });
    return store;
  };

  beforeEach(async () => {
    prefix = `ct${randomUUID().slice(0, 8)}`;
    current = await open();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    current = undefined;
  });

  return {
    get store() {
      if (current === undefined) throw new Error('The contract store is only available inside a test');
      return current;
    },
    get prefix() {
      return prefix;
    },
    stream: (label) => `${prefix}.${label}-${randomUUID().slice(0, 8)}`,
    openAnother: open,
  };
}

export const event = (type: string, data: JsonValue = {}, metadata?: EventMetadata): EventToAppend & { id: string } => ({
  id: randomUUID(),
  type,
  data,
  ...(metadata === undefined ? {} : { metadata }),
});

export const events = (count: number, type = 'Counted'): Array<EventToAppend & { id: string }> =>
  Array.from({ length: count }, (_, index) => event(type, { index }));

/** Awaits a rejection and checks its code; returns the error for further checks. */
export async function rejection(promise: Promise<unknown>, code: EventStoreErrorCode): Promise<Record<string, unknown>> {
  const error: unknown = await promise.then(
    () => {
      throw new Error(`Expected a ${code} rejection, but the operation succeeded`);
    },
    (caught: unknown) => caught,
  );
  expect(error).toMatchObject({ code });
  return error as Record<string, unknown>;
}

/** The first `count` values of a subscription; fails instead of hanging when they do not come. */
export const collect = <T>(source: Observable<T>, count: number, waitMs = 15_000): Promise<T[]> =>
  firstValueFrom(source.pipe(take(count), toArray(), timeout({ each: waitMs })));
