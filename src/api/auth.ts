import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from '../config/index.js';

/** Who is calling: `keyId` (never the secret) is recorded as the event sender. */
export interface Principal {
  keyId: string;
  /** Undefined in open single-tenant mode (no keys configured). */
  tenant: string | undefined;
}

export const ANONYMOUS: Principal = { keyId: 'anonymous', tenant: undefined };

export interface Authenticator {
  /** False when no keys are configured: every caller is {@link ANONYMOUS}. */
  readonly required: boolean;
  /** The principal for an `Authorization` header value, or undefined when it is missing or wrong. */
  authenticate(authorization: string | undefined): Principal | undefined;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Compares sha256 digests with `timingSafeEqual`, and always against every key, so neither the
 * length of the secret nor which key matched shows in the response time.
 */
export function createAuthenticator(keys: readonly ApiKeyEntry[]): Authenticator {
  const entries = keys.map((entry) => ({ hash: digest(entry.key), principal: { keyId: entry.id, tenant: entry.tenant } }));
  return {
    required: entries.length > 0,
    authenticate(authorization) {
      if (entries.length === 0) return ANONYMOUS;
      const presented = bearerToken(authorization);
      if (presented === undefined) return undefined;
      const hash = digest(presented);
      let found: Principal | undefined;
      for (const entry of entries) if (timingSafeEqual(entry.hash, hash)) found = entry.principal;
      return found;
    },
  };
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  return match?.[1];
}

/**
 * What a 401 tells the caller to fix: no credentials, a header that is not `Bearer <key>`, a key
 * the server does not know, or a stream token that is stale or sent to a route it does not open.
 * Never which part of a secret was wrong.
 */
export function whyUnauthorized(authorization: string | undefined, token: unknown, streamRoute: boolean): string {
  if (authorization === undefined && typeof token === 'string')
    return streamRoute
      ? 'The stream token is not valid or has expired: mint another with POST /v1/stream-tokens'
      : 'A ?token= opens only the SSE routes (/v1/stream, /v1/workflows/:id/stream): send Authorization: Bearer <API key>';
  if (authorization === undefined) return 'Send Authorization: Bearer <API key>';
  if (bearerToken(authorization) === undefined) return 'The Authorization header must be "Bearer <API key>"';
  return 'The API key is not valid on this server (Authorization: Bearer <API key>)';
}
