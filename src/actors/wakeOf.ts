import { type Settled, type WorkflowEvent, DEADLINE_PASSED } from '../machines/index.js';

/** When the workflow must be woken next: a timer's due time, a signal's timeout, or its deadline, whichever comes first. */
export function wakeOf(settled: Settled): string | undefined {
  const next = settled.next;
  if (next.kind === 'done' || next.kind === 'idle') return undefined;
  const times = [next.kind === 'timer' ? next.at : next.kind === 'wait' ? next.wakeAt : undefined, settled.snapshot.context.policies.deadline?.at];
  let earliest: string | undefined;
  for (const time of times) if (time !== undefined && (earliest === undefined || Date.parse(time) < Date.parse(earliest))) earliest = time;
  return earliest;
}

/**
 * Whether an event that opens a batch nobody sent was caused by a due time passing (a step's
 * timeout, a sleep's end, a signal's timeout, the deadline): its metadata names `timer` as sender.
 */
export const firedByTimer = (event: WorkflowEvent): boolean =>
  event.type === 'StepFailed' ||
  event.type === 'SleepEnded' ||
  event.type === 'SignalTimedOut' ||
  event.type === 'WorkflowCancelled' ||
  (event.type === 'WorkflowFailed' && event.data.error?.code === DEADLINE_PASSED);
