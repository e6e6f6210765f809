import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from './auth.js';

/** The routes a stream token opens: the SSE streams, nothing else. */
export const STREAM_ROUTES: ReadonlySet<string> = new Set(['/v1/workflows/:id/stream', '/v1/stream']);

export interface StreamToken {
  token: string;
  /** ISO 8601; the token opens streams until then (an open stream is not cut when it passes). */
  expiresAt: string;
}

/**
 * Short-lived bearer tokens for `EventSource`, which cannot send an `Authorization` header.
 * A token names the key id and tenant it was minted for and is HMAC-signed with a random
 * secret of this process: nothing is stored, a restart revokes every token, and the API key
 * never appears in a URL (where proxies and browser history would keep it).
 */
export interface StreamTokens {
  mint(principal: Principal): StreamToken;
  /** The principal a valid, unexpired token was minted for, else undefined. */
  verify(token: string): Principal | undefined;
}

export interface StreamTokenOptions {
  ttlMs: number;
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
  /** The signing key; defaults to 32 random bytes. */
  secret?: Buffer;
}

const PREFIX = 'est1';

export function createStreamTokens(options: StreamTokenOptions): StreamTokens {
  const now = options.now ?? (() => Date.now());
  const secret = options.secret ?? randomBytes(32);
  const sign = (payload: string): Buffer => createHmac('sha256', secret).update(`${PREFIX}.${payload}`).digest();
  return {
    mint(principal) {
      const expires = now() + options.ttlMs;
      const payload = Buffer.from(JSON.stringify({ k: principal.keyId, t: principal.tenant ?? null, e: expires })).toString('base64url');
      return { token: `${PREFIX}.${payload}.${sign(payload).toString('base64url')}`, expiresAt: new Date(expires).toISOString() };
    },
    verify(token) {
      const [prefix, payload, signature, ...rest] = token.split('.');
      if (prefix !== PREFIX || payload === undefined || signature === undefined || rest.length > 0) return undefined;
      const expected = sign(payload);
      const presented = Buffer.from(signature, 'base64url');
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { k: string; t: string | null; e: number };
      if (!(now() < claims.e)) return undefined;
      return { keyId: claims.k, tenant: claims.t ?? undefined };
    },
  };
}
