/** Stable problem codes: clients branch on `code`, never on `title` or `detail`. */
export const PROBLEM_STATUS = {
  MALFORMED_JSON: 400,
  INVALID_BODY: 400,
  INVALID_QUERY: 400,
  INVALID_ID: 400,
  INVALID_HEADER: 400,
  UNKNOWN_DEFINITION: 400,
  INVALID_INPUT: 400,
  UNKNOWN_EVENT_TYPE: 400,
  INVALID_EVENT_DATA: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  WORKFLOW_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  WORKFLOW_EXISTS: 409,
  EVENT_NOT_ACCEPTED: 409,
  CONCURRENT_UPDATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  SHUTTING_DOWN: 503,
  TOO_MANY_STREAMS: 503,
  STORE_UNAVAILABLE: 503,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;
export const PROBLEM_CODES = Object.keys(PROBLEM_STATUS) as ProblemCode[];

/** One field that failed validation: `path` is dotted (`data.feedback`, `input.files[0]`). */
export interface FieldError {
  path: string;
  message: string;
}

/** An error the API turns into an `application/problem+json` response (RFC 9457). */
export class ApiError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  /** Extra members of the problem body, e.g. `errors`, `state`, `accepts`. */
  readonly extensions: Record<string, unknown>;

  constructor(code: ProblemCode, title: string, extensions: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(title, options);
    this.name = 'ApiError';
    this.code = code;
    this.status = PROBLEM_STATUS[code];
    this.title = title;
    this.extensions = extensions;
  }
}

export const isApiError = (error: unknown): error is ApiError =>
  typeof error === 'object' &&
  error !== null &&
  (error as { name?: unknown }).name === 'ApiError' &&
  typeof (error as { code?: unknown }).code === 'string' &&
  (error as { code: string }).code in PROBLEM_STATUS;

export const problemType = (code: ProblemCode): string => `urn:ecl:problem:${code.toLowerCase().replace(/_/g, '-')}`;
