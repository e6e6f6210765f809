import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { WorkerRecord } from '../eventstore/index.js';

/**
 * Where a pid means something: the host name and, on Linux, the pid namespace (two containers
 * may share a host name and a SQLite volume, but not their pids). Published with each heartbeat.
 */
export function processSpace(): string {
  return `${hostname()}|${pidNamespace()}`;
}

const pidNamespace = (): string => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
};

/**
 * True when the worker ran in this process space and its process no longer exists: it died
 * without leaving (SIGKILL, a crash), so its leases need not wait for their TTL. A pid reused by
 * another process only makes it look alive, which falls back to the TTL.
 */
export function isGoneHere(worker: WorkerRecord, space: string): boolean {
  if (worker.info.processSpace !== space || worker.pid === process.pid) return false;
  try {
    process.kill(worker.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
