import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'winston';
import { isEngineClosed } from '../actors/index.js';
import { isStoreClosed, isStoreUnavailable } from '../eventstore/index.js';
import { ApiError, isApiError, problemType } from './errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Fastify's own rejections of what the client sent, mapped to our stable codes. */
const FASTIFY_CODES: Record<string, (bodyLimitBytes: number | undefined) => ApiError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (bodyLimitBytes) => tooLarge(bodyLimitBytes),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send JSON with Content-Type: application/json'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new ApiError('MALFORMED_JSON', 'The request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new ApiError('MALFORMED_JSON', 'The request body is empty but Content-Type says JSON'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new ApiError('BAD_REQUEST', 'Content-Length does not match the body'),
};

const tooLarge = (bodyLimitBytes: number | undefined): ApiError =>
  new ApiError(
    'PAYLOAD_TOO_LARGE',
    bodyLimitBytes === undefined
      ? 'The request body is larger than the limit'
      : `The request body is larger than this server's limit of ${bodyLimitBytes} bytes (its bodyLimitBytes setting, e.g. ECL_BODY_LIMIT_BYTES)`,
  );

/** Turns any error into a problem; only errors the client could not have caused become a 500. `bodyLimitBytes`: the server's, for a 413 to name. */
export function toApiError(error: unknown, bodyLimitBytes?: number): ApiError {
  if (isApiError(error)) return error;
  if (isStoreUnavailable(error)) return new ApiError('STORE_UNAVAILABLE', 'The event store is unavailable; retry shortly', {}, { cause: error });
  if (isStoreClosed(error) || isEngineClosed(error)) return new ApiError('SHUTTING_DOWN', 'The server is shutting down', {}, { cause: error });
  const fastifyError = error as Partial<FastifyError> | undefined;
  const mapped = typeof fastifyError?.code === 'string' ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped !== undefined) return mapped(bodyLimitBytes);
  const status = fastifyError?.statusCode;
  if (error instanceof SyntaxError && status === 400) return new ApiError('MALFORMED_JSON', 'The request body is not valid JSON');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) return tooLarge(bodyLimitBytes);
    if (status === 415) return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send JSON with Content-Type: application/json');
    return new ApiError('BAD_REQUEST', fastifyError?.message ?? 'Bad request');
  }
  return new ApiError('INTERNAL', 'Internal server error', {}, { cause: error });
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: ApiError, logger: Logger): FastifyReply {
  if (error.status >= 500) {
    logger.error('request failed', { method: request.method, url: request.url, code: error.code, error: error.cause ?? error });
  }
  if (error.status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="ecl"');
  if (error.status === 503) void reply.header('Retry-After', '1');
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(problemBody(error, request.url));
}

/** The RFC 9457 body of a problem; `instance` is the request's path (not its query: it may hold a stream token). */
export const problemBody = (error: ApiError, url: string | undefined): Record<string, unknown> => ({
  type: problemType(error.code),
  title: error.title,
  status: error.status,
  code: error.code,
  detail: error.detail,
  ...(url === undefined ? {} : { instance: pathOf(url).slice(0, 512) }),
  ...error.extensions,
});

const pathOf = (url: string): string => {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
};
