/**
 * Every `EngineError` code: `UNKNOWN_DEFINITION` (no definition by that name),
 * `UNKNOWN_DEFINITION_VERSION` (a stored workflow names a version not registered), `INVALID_INPUT`,
 * `INPUT_TOO_LARGE` (the input is over what the store records in one append), `INVALID_WORKFLOW_ID`,
 * `WORKFLOW_CONFLICT` (the id exists with another input or definition),
 * `WORKFLOW_NOT_FOUND`, `CONCURRENCY_CONFLICT` (other writers kept winning; try again),
 * `CORRUPT_STREAM` (a stored stream does not fold through its definition), `ENGINE_CLOSED`.
 */
export type EngineErrorCode =
  | 'UNKNOWN_DEFINITION'
  | 'UNKNOWN_DEFINITION_VERSION'
  | 'INVALID_INPUT'
  | 'INPUT_TOO_LARGE'
  | 'INVALID_WORKFLOW_ID'
  | 'WORKFLOW_CONFLICT'
  | 'WORKFLOW_NOT_FOUND'
  | 'CONCURRENCY_CONFLICT'
  | 'CORRUPT_STREAM'
  | 'ENGINE_CLOSED';

/**
 * A problem with what the caller asked for, or with a stored workflow; the message is written for
 * people. Check with {@link isEngineError} or the guard for one code, not `instanceof`.
 */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  /** For INVALID_INPUT: one line per problem, each naming the field path. */
  readonly issues: readonly string[];

  constructor(code: EngineErrorCode, message: string, options: { issues?: readonly string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

const CODES: ReadonlySet<string> = new Set<EngineErrorCode>([
  'UNKNOWN_DEFINITION',
  'UNKNOWN_DEFINITION_VERSION',
  'INVALID_INPUT',
  'INPUT_TOO_LARGE',
  'INVALID_WORKFLOW_ID',
  'WORKFLOW_CONFLICT',
  'WORKFLOW_NOT_FOUND',
  'CONCURRENCY_CONFLICT',
  'CORRUPT_STREAM',
  'ENGINE_CLOSED',
]);

const codeOf = (error: unknown): unknown => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined);
/** Whether `error` is an {@link EngineError} of any code (by name and code, not `instanceof`). */
export const isEngineError = (error: unknown): error is EngineError =>
  CODES.has(codeOf(error) as string) && (error as { name?: unknown }).name === 'EngineError';
/** `WORKFLOW_CONFLICT`: `start` with an id that exists with another input or definition; use another id. */
export const isWorkflowConflict = (error: unknown): error is EngineError => isEngineError(error) && error.code === 'WORKFLOW_CONFLICT';
/** `INVALID_INPUT`: the input does not pass the definition's schema; `issues` lists `path: message`. */
export const isInvalidInput = (error: unknown): error is EngineError => isEngineError(error) && error.code === 'INVALID_INPUT';
/** `UNKNOWN_DEFINITION`: `start` named a definition that is not registered; the message lists the known ones. */
export const isUnknownDefinition = (error: unknown): error is EngineError => isEngineError(error) && error.code === 'UNKNOWN_DEFINITION';
/** `WORKFLOW_NOT_FOUND`: `settled` for an id with no stream. (`send` returns this code as a rejection instead.) */
export const isWorkflowNotFound = (error: unknown): error is EngineError => isEngineError(error) && error.code === 'WORKFLOW_NOT_FOUND';
/** `ENGINE_CLOSED`: `start` or `recover` after `close()`. */
export const isEngineClosed = (error: unknown): error is EngineError => isEngineError(error) && error.code === 'ENGINE_CLOSED';

/** zod issues as `path: message` lines, so a person sees which field is wrong. */
export const formatIssues = (issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] =>
  issues.map(
    (issue) =>
      `${
        issue.path.length === 0
          ? '(input)'
          : issue.path
              .map((key) => (typeof key === 'number' ? `[${key}]` : String(key)))
              .join('.')
              .replace(/\.\[/g, '[')
      }: ${issue.message}`,
  );
