export type WorkflowModuleErrorCode = 'MODULE_NOT_FOUND' | 'MODULE_FAILED' | 'NO_DEFINITIONS' | 'DUPLICATE_DEFINITION';

/** A workflow module that cannot be used: the message names the file and the reason. */
export class WorkflowModuleError extends Error {
  override readonly name = 'WorkflowModuleError';
  constructor(
    readonly code: WorkflowModuleErrorCode,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

const CODES: ReadonlySet<string> = new Set<WorkflowModuleErrorCode>(['MODULE_NOT_FOUND', 'MODULE_FAILED', 'NO_DEFINITIONS', 'DUPLICATE_DEFINITION']);

/** Whether `error` is a {@link WorkflowModuleError} (by name and code, not `instanceof`). */
export const isWorkflowModuleError = (error: unknown): error is WorkflowModuleError =>
  typeof error === 'object' &&
  error !== null &&
  (error as { name?: unknown }).name === 'WorkflowModuleError' &&
  CODES.has((error as { code?: unknown }).code as string);
