export type EngineErrorCode =
  | 'UNKNOWN_DEFINITION'
  | 'UNKNOWN_DEFINITION_VERSION'
  | 'INVALID_INPUT'
  | 'INVALID_WORKFLOW_ID'
  | 'WORKFLOW_CONFLICT'
  | 'WORKFLOW_NOT_FOUND'
  | 'CONCURRENCY_CONFLICT'
  | 'CORRUPT_STREAM'
  | 'ENGINE_CLOSED';

/** A problem with what the caller asked for; the message is written for people. */
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
  'INVALID_WORKFLOW_ID',
  'WORKFLOW_CONFLICT',
  'WORKFLOW_NOT_FOUND',
  'CONCURRENCY_CONFLICT',
  'CORRUPT_STREAM',
  'ENGINE_CLOSED',
]);

const codeOf = (error: unknown): unknown => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined);
export const isEngineError = (error: unknown): error is EngineError => CODES.has(codeOf(error) as string) && (error as { name?: unknown }).name === 'EngineError';
export const isWorkflowConflict = (error: unknown): error is EngineError => isEngineError(error) && error.code === 'WORKFLOW_CONFLICT';
export const isInvalidInput = (error: unknown): error is EngineError => isEngineError(error) && error.code === 'INVALID_INPUT';
export const isUnknownDefinition = (error: unknown): error is EngineError => isEngineError(error) && error.code === 'UNKNOWN_DEFINITION';
export const isWorkflowNotFound = (error: unknown): error is EngineError => isEngineError(error) && error.code === 'WORKFLOW_NOT_FOUND';
export const isEngineClosed = (error: unknown): error is EngineError => isEngineError(error) && error.code === 'ENGINE_CLOSED';

/** zod issues as `path: message` lines, so a person sees which field is wrong. */
export const formatIssues = (issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] =>
  issues.map((issue) => `${issue.path.length === 0 ? '(input)' : issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : String(key))).join('.').replace(/\.\[/g, '[')}: ${issue.message}`);
