import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'winston';
import { ApiError } from './errors.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem.js';

/**
 * Requests Node's HTTP parser rejects before Fastify sees them (bad framing, header overflow,
 * timeouts) still get a problem+json answer; the connection is then closed, as Node does.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket, logger: Logger): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new ApiError('REQUEST_TIMEOUT', 'The request took too long to arrive')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new ApiError('HEADERS_TOO_LARGE', 'The request headers are too large')
        : new ApiError('BAD_REQUEST', 'The request is not valid HTTP');
  logger.debug('client error', { code: error.code, message: error.message });
  const body = JSON.stringify(problemBody(problem, undefined));
  // As Node itself does: never write a second response over one already under way on this socket.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && current?.headersSent !== true) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
