import type * as AnthropicSdk from '@anthropic-ai/sdk';
import type { APIError } from '@anthropic-ai/sdk';
import { LlmError } from '../errors.js';
import { cancelledError } from '../emitDeltas.js';

/** The SDK, imported once on first use (see createAnthropicProvider). */
export const loadSdk = (): Promise<typeof AnthropicSdk> => import('@anthropic-ai/sdk');

/**
 * The `retry-after-ms` header, else `retry-after` as seconds or an HTTP date, in milliseconds.
 * `now` is injectable so a date header can be tested without a clock.
 */
export function parseRetryAfter(headers: Headers | undefined, now: () => number = Date.now): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms != null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers?.get('retry-after');
  if (value == null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

/**
 * Every SDK error becomes an LlmError here, with a message a user can act on. The server's message is
 * kept only for 400/404/413, where it names the problem; no prompt text or key is ever included.
 */
export async function translateSdkError(error: unknown, model: string): Promise<unknown> {
  if (error instanceof LlmError) return error;
  const { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AnthropicError } = await loadSdk();
  if (error instanceof APIUserAbortError) return cancelledError(error);
  if (error instanceof APIConnectionTimeoutError) return new LlmError('TIMEOUT', 'The request to Anthropic timed out.', { cause: error });
  if (error instanceof APIConnectionError)
    return new LlmError('CONNECTION', 'Could not reach the Anthropic API (connection failed). Check the network and ANTHROPIC_BASE_URL.', { cause: error });
  if (error instanceof APIError) return translateStatus(error, model);
  // The client's own refusal to send without credentials: the key is missing, not the request wrong.
  if (error instanceof Error && /authentication method/i.test(error.message)) {
    return new LlmError('AUTHENTICATION', 'No Anthropic credentials found. Set ANTHROPIC_API_KEY, or run with --llm offline.', { cause: error });
  }
  if (error instanceof AnthropicError) return new LlmError('BAD_REQUEST', `The Anthropic client refused the request: ${error.message}`, { cause: error });
  if (error instanceof Error && error.name === 'AbortError') return cancelledError(error);
  if (error instanceof SyntaxError) return new LlmError('SERVER_ERROR', 'Anthropic sent a malformed response (invalid JSON).', { cause: error });
  return error;
}

function translateStatus(error: APIError, model: string): LlmError {
  const status = error.status;
  const detail = error.apiMessage !== null && error.apiMessage !== '' ? ` ${error.apiMessage}` : '';
  const requestId = error.requestID ? ` (request id ${error.requestID})` : '';
  const options = { cause: error, status, retryAfterMs: parseRetryAfter(error.headers) };
  switch (status) {
    case 400:
      return new LlmError('BAD_REQUEST', `Anthropic rejected the request as invalid (400).${detail}${requestId}`, options);
    case 401:
      return new LlmError('AUTHENTICATION', 'Anthropic rejected the API key (401). Check ANTHROPIC_API_KEY.', options);
    case 403:
      return new LlmError('PERMISSION', `Anthropic refused access (403): the API key may not use model "${model}" or this feature.${requestId}`, options);
    case 404:
      return new LlmError(
        'NOT_FOUND',
        `Anthropic did not find the resource (404); is the model "${model}" spelled right and available to this key?${detail}${requestId}`,
        options,
      );
    case 413:
      return new LlmError('REQUEST_TOO_LARGE', `The request is too large for Anthropic (413): shorten the input.${requestId}`, options);
    case 429:
      return new LlmError('RATE_LIMITED', `Anthropic rate limit reached (429).${requestId}`, options);
    case 529:
      return new LlmError('OVERLOADED', `Anthropic is overloaded (529).${requestId}`, options);
    case 408:
      return new LlmError('TIMEOUT', `Anthropic timed out the request (408).${requestId}`, options);
    case undefined:
      return translateStreamError(error, requestId);
    default:
      if (status >= 500) return new LlmError('SERVER_ERROR', `Anthropic had a server error (${status}).${requestId}`, options);
      return new LlmError('BAD_REQUEST', `Anthropic rejected the request (${status ?? 'no status'}).${detail}${requestId}`, options);
  }
}

/** An `event: error` inside an SSE stream has no status, only the error type. */
function translateStreamError(error: APIError, requestId: string): LlmError {
  const options = { cause: error };
  switch (error.type) {
    case 'overloaded_error':
      return new LlmError('OVERLOADED', `Anthropic is overloaded (stream error).${requestId}`, options);
    case 'rate_limit_error':
      return new LlmError('RATE_LIMITED', `Anthropic rate limit reached (stream error).${requestId}`, options);
    case 'invalid_request_error':
      return new LlmError('BAD_REQUEST', `Anthropic rejected the request as invalid (stream error).${requestId}`, options);
    default:
      return new LlmError('SERVER_ERROR', `Anthropic reported an error mid-stream (${error.type ?? 'unknown'}).${requestId}`, options);
  }
}
