export type ProjectionErrorCode = 'PROJECTION_TIMEOUT' | 'PROJECTION_STOPPED' | 'HISTORY_NOT_FOUND' | 'DEFINITION_NOT_REGISTERED' | 'INVALID_HISTORY';

/** Base of every error the projections and replay raise. Check with the `isX` guards, not `instanceof`. */
export class ProjectionError extends Error {
  readonly code: ProjectionErrorCode;

  constructor(code: ProjectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProjectionError';
    this.code = code;
  }
}

const hasCode = (error: unknown, code: ProjectionErrorCode): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;

export const isProjectionTimeout = (error: unknown): error is ProjectionError => hasCode(error, 'PROJECTION_TIMEOUT');
export const isProjectionStopped = (error: unknown): error is ProjectionError => hasCode(error, 'PROJECTION_STOPPED');
export const isHistoryNotFound = (error: unknown): error is ProjectionError => hasCode(error, 'HISTORY_NOT_FOUND');
export const isDefinitionNotRegistered = (error: unknown): error is ProjectionError => hasCode(error, 'DEFINITION_NOT_REGISTERED');
export const isInvalidHistory = (error: unknown): error is ProjectionError => hasCode(error, 'INVALID_HISTORY');

const CODES: ReadonlySet<string> = new Set<ProjectionErrorCode>([
  'PROJECTION_TIMEOUT',
  'PROJECTION_STOPPED',
  'HISTORY_NOT_FOUND',
  'DEFINITION_NOT_REGISTERED',
  'INVALID_HISTORY',
]);
export const isProjectionError = (error: unknown): error is ProjectionError =>
  typeof error === 'object' && error !== null && CODES.has((error as { code?: unknown }).code as string);
