/**
 * The stream holding the lease table (kurrentDbLeaseTable.ts): its last event is the whole table.
 * Not a `$` stream, so a user without admin rights can write it; the adapter keeps it out of
 * ECL's reads and subscriptions all the same, as it does KurrentDB's system streams.
 */
export const LEASE_STREAM = 'ecl.cluster-leases';

/** The lease stream of a named table (`ecl.cluster-leases-<name>`), e.g. one per test run on a shared server. */
export const leaseStreamOf = (table?: string): string => (table === undefined ? LEASE_STREAM : `${LEASE_STREAM}-${table}`);

export const isLeaseStream = (stream: string): boolean => stream === LEASE_STREAM || stream.startsWith(`${LEASE_STREAM}-`);

/** A stream-name regex (KurrentDB's server-side filter) matching every stream but the system and lease streams. */
export const NOT_SYSTEM_OR_LEASE_STREAM = `^(?!\\$|${LEASE_STREAM.replaceAll('.', '\\.')}($|-))`;
