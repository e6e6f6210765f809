import { TaskCancelledError } from 'cockatiel';

/**
 * Whether cockatiel cancelled a task (its timeout fired, or the execution's signal aborted).
 * cockatiel 3.2.1's own `isTaskCancelledError` tests for the bulkhead rejection's marker, so it
 * says no to a cancelled task and yes to a bulkhead rejection. The marker check covers a second
 * copy of cockatiel (CommonJS next to ESM), whose class `instanceof` would not match.
 */
export const isTaskCancelled = (error: unknown): error is TaskCancelledError =>
  error instanceof TaskCancelledError || (error instanceof Error && (error as { isTaskCancelledError?: unknown }).isTaskCancelledError === true);
