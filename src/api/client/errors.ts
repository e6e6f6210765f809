/** A problem+json answer (or a transport failure) from an ECL server, with its stable code. */
export class ApiClientError extends Error {
  readonly code: string;
  readonly status: number;
  readonly problem: Record<string, unknown>;

  constructor(code: string, status: number, message: string, problem: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiClientError';
    this.code = code;
    this.status = status;
    this.problem = problem;
  }
}

export const isApiClientError = (error: unknown): error is ApiClientError =>
  typeof error === 'object' &&
  error !== null &&
  (error as { name?: unknown }).name === 'ApiClientError' &&
  typeof (error as { status?: unknown }).status === 'number';

/** Field errors of a 400, as `path: message` lines. */
export const problemLines = (error: ApiClientError): string[] => {
  const errors = error.problem.errors;
  return Array.isArray(errors) ? errors.map((item: { path?: unknown; message?: unknown }) => `${String(item.path)}: ${String(item.message)}`) : [];
};
