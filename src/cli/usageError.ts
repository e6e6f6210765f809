/** Exit codes of `ecl`: 0 completed, 1 failed/cancelled/waiting, 2 bad usage or bad input. */
export const EXIT = { ok: 0, notCompleted: 1, usage: 2, interrupted: 130 } as const;

/** A mistake in how `ecl` was called or what it was given: printed without a stack, exit 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const isUsageError = (error: unknown): error is UsageError =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'USAGE' && (error as { name?: unknown }).name === 'UsageError';
