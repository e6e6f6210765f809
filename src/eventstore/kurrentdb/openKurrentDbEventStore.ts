import { BACKWARDS, END, KurrentDBClient } from '@kurrent/kurrentdb-client';
import { timeout, TimeoutStrategy } from 'cockatiel';
import winston, { type Logger } from 'winston';
import { EventStoreError } from '../errors.js';
import type { EventStore } from '../types.js';
import { createKurrentDbEventStore } from './kurrentDbEventStore.js';
import type { LeaseClock } from './leaseFences.js';
import { parseKurrentDbUrl } from './storeUrl.js';
import { describeError, isTimeout } from './translateError.js';

export interface OpenKurrentDbEventStoreOptions {
  logger?: Logger;
  /** Largest append accepted, in bytes of type + data + metadata (default 1 MiB, as KurrentDB). */
  maxAppendBytes?: number;
  /** How long opening waits for the server to answer a first read (default 5 s). */
  connectTimeoutMs?: number;
  /** How long an append waits for KurrentDB's answer before it is reported as STORE_UNAVAILABLE (default 10 s). */
  appendTimeoutMs?: number;
  /** How long one read may take before it is tried again (default 30 s). */
  readTimeoutMs?: number;
  /** The clocks fenced appends are judged by (tests pass a simulated one; default the system's). */
  leaseClock?: LeaseClock;
  /** Names the lease table (stream `ecl.cluster-leases-<name>`), e.g. one per test run on a shared server; default the server's one table. */
  leaseTable?: string;
}

/**
 * Connects to KurrentDB (`kurrentdb://host:port?tls=false`, `esdb://…`, `…+discover://…`; the
 * client's connection-string options pass through) and proves the server answers before
 * returning: an unreachable server fails here, within `connectTimeoutMs`, with a
 * STORE_UNAVAILABLE error naming the URL, instead of on the first append.
 */
export async function openKurrentDbEventStore(url: string, options: OpenKurrentDbEventStoreOptions = {}): Promise<EventStore> {
  const { connectionString, redacted } = parseKurrentDbUrl(url);
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;

  let client: KurrentDBClient;
  try {
    client = KurrentDBClient.connectionString(connectionString);
  } catch (error) {
    throw new EventStoreError('INVALID_STORE_URL', `"${redacted}" is not a valid KurrentDB connection string: ${(error as Error).message}`, { cause: error });
  }

  try {
    await timeout(connectTimeoutMs, TimeoutStrategy.Aggressive).execute(async () => {
      for await (const _ of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) break;
    });
  } catch (error) {
    await client.dispose().catch(() => undefined);
    const reason = isTimeout(error) ? `no answer within ${connectTimeoutMs} ms` : describeError(error);
    throw new EventStoreError('STORE_UNAVAILABLE', `KurrentDB at ${redacted} is unreachable: ${reason}`, { cause: error, retryable: true });
  }

  logger.info('connected to KurrentDB', { store: redacted });
  return createKurrentDbEventStore({
    client,
    where: redacted,
    logger,
    maxAppendBytes: options.maxAppendBytes,
    appendTimeoutMs: options.appendTimeoutMs,
    readTimeoutMs: options.readTimeoutMs,
    leaseClock: options.leaseClock,
    leaseTable: options.leaseTable,
  });
}
