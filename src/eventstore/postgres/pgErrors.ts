import { EventStoreError, isEventStoreError } from '../errors.js';

const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};
const nodeCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('E') && !/^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

// Connection exceptions (08), operator intervention (57: shutdown, cannot connect now, statement
// timeout), insufficient resources (53: too many connections, disk full), and the transaction
// rollbacks PostgreSQL itself advises to retry (40).
const RETRYABLE_STATES = /^(08|53|57|40)|^55P03$/;
// What `pg` says when the socket closes, a connect times out or the pool has no client to give.
const RETRYABLE_MESSAGES =
  /connection terminated|connection ended|not queryable|timeout exceeded|timeout expired|connection timeout|read timeout|ECONNRESET|socket hang up/i;

/**
 * True for what the URL or the server's configuration gets wrong, not the network: bad
 * credentials (28…), a database that does not exist (3D000), missing privileges (42501), a
 * password the server asks for and the URL lacks, TLS the server does not offer. Opening turns these into INVALID_STORE_URL.
 */
export function isConfigurationError(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined) return state.startsWith('28') || state === '3D000' || state === '42501';
  // pg's own words for a missing password (SASL) and for TLS it cannot set up.
  return /password|SASL|does not support SSL|certificate/i.test(messageOf(error));
}

/** Why it failed, for a message: PostgreSQL's own words and its SQLSTATE, or the socket error. */
export function describePgError(error: unknown): string {
  const state = sqlState(error) ?? nodeCode(error);
  const message = messageOf(error) || 'no message';
  return state === undefined || message.includes(state) ? message : `${message} (${state})`;
}

/**
 * Translates whatever `pg` threw into the port's errors, so no vendor error leaves the adapter.
 * Lost connections, timeouts and an exhausted pool are retryable STORE_UNAVAILABLE; anything the
 * server refuses for good is STORE_UNAVAILABLE that is not retryable.
 */
export function toStoreError(error: unknown, doing: string, where: string): EventStoreError {
  if (isEventStoreError(error)) return error;
  const state = sqlState(error);
  const retryable = state !== undefined ? RETRYABLE_STATES.test(state) : nodeCode(error) !== undefined || RETRYABLE_MESSAGES.test(messageOf(error));
  return new EventStoreError('STORE_UNAVAILABLE', `PostgreSQL event store ${where} failed while ${doing}: ${describePgError(error)}`, {
    cause: error,
    retryable,
  });
}
