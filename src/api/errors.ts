/** Stable problem codes with their status and title: clients branch on `code`, never on `title` or `detail`. */
const PROBLEMS = {
  MALFORMED_JSON: [400, 'Malformed JSON'],
  INVALID_BODY: [400, 'Invalid request body'],
  INVALID_QUERY: [400, 'Invalid query parameters'],
  INVALID_ID: [400, 'Invalid workflow id'],
  INVALID_HEADER: [400, 'Invalid header'],
  UNKNOWN_DEFINITION: [400, 'Unknown workflow definition'],
  INVALID_INPUT: [400, 'Invalid workflow input'],
  UNKNOWN_EVENT_TYPE: [400, 'Unknown event type'],
  INVALID_EVENT_DATA: [400, 'Invalid event data'],
  BAD_REQUEST: [400, 'Bad request'],
  UNAUTHORIZED: [401, 'Unauthorized'],
  WORKFLOW_NOT_FOUND: [404, 'Workflow not found'],
  DEFINITION_NOT_FOUND: [404, 'Definition not found'],
  ROUTE_NOT_FOUND: [404, 'Route not found'],
  METHOD_NOT_ALLOWED: [405, 'Method not allowed'],
  REQUEST_TIMEOUT: [408, 'Request timeout'],
  WORKFLOW_EXISTS: [409, 'Workflow exists'],
  DEFINITION_NOT_DEPLOYED: [409, 'Definition not deployed where it would run'],
  EVENT_NOT_ACCEPTED: [409, 'Event not accepted now'],
  CONCURRENT_UPDATE: [409, 'Concurrent update'],
  IDEMPOTENCY_KEY_REUSED: [422, 'Idempotency key reused'],
  PAYLOAD_TOO_LARGE: [413, 'Payload too large'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'Unsupported media type'],
  HEADERS_TOO_LARGE: [431, 'Request headers too large'],
  INTERNAL: [500, 'Internal server error'],
  SHUTTING_DOWN: [503, 'Shutting down'],
  TOO_MANY_STREAMS: [503, 'Too many streams'],
  STORE_UNAVAILABLE: [503, 'Store unavailable'],
} as const satisfies Record<string, readonly [number, string]>;

export const PROBLEM_STATUS = Object.fromEntries(Object.entries(PROBLEMS).map(([code, [status]]) => [code, status])) as {
  [C in keyof typeof PROBLEMS]: (typeof PROBLEMS)[C][0];
};

export type ProblemCode = keyof typeof PROBLEM_STATUS;
export const PROBLEM_CODES = Object.keys(PROBLEM_STATUS) as ProblemCode[];

/** One field that failed validation: `path` is dotted (`data.feedback`, `input.files[0]`). */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * An error the API turns into an `application/problem+json` response (RFC 9457): the title is
 * the same for every problem of its code, the specifics of this one are its `detail`.
 */
export class ApiError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** Extra members of the problem body, e.g. `errors`, `state`, `accepts`. */
  readonly extensions: Record<string, unknown>;

  constructor(code: ProblemCode, detail: string, extensions: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'ApiError';
    this.code = code;
    this.status = PROBLEMS[code][0];
    this.title = PROBLEMS[code][1];
    this.detail = detail;
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
