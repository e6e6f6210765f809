import { describe, expect, it } from 'vitest';
import { createStreamTokens } from '../../src/api/streamTokens.js';

const acme = { keyId: 'acme-key', tenant: 'acme' };

describe('stream tokens', () => {
  it('name the key and tenant they were minted for, until they expire', () => {
    let now = 1_000_000;
    const tokens = createStreamTokens({ ttlMs: 60_000, now: () => now });
    const { token, expiresAt } = tokens.mint(acme);
    expect(expiresAt).toBe(new Date(1_060_000).toISOString());
    expect(tokens.verify(token)).toEqual(acme);
    now = 1_059_999;
    expect(tokens.verify(token)).toEqual(acme);
    now = 1_060_000;
    expect(tokens.verify(token)).toBeUndefined();
  });

  it('refuse a token signed by another process, altered, or not a token at all', () => {
    const tokens = createStreamTokens({ ttlMs: 60_000 });
    const other = createStreamTokens({ ttlMs: 60_000 }).mint(acme).token;
    expect(tokens.verify(other)).toBeUndefined();
    const [prefix, payload, signature] = tokens.mint(acme).token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, t: 'globex' })).toString('base64url');
    expect(tokens.verify(`${prefix}.${forged}.${signature}`)).toBeUndefined();
    for (const junk of ['', 'est1', 'est1..', `${prefix}.${payload}`, `${prefix}.${payload}.${signature}.x`, 'acme-secret-0001'])
      expect(tokens.verify(junk), junk).toBeUndefined();
  });

  it('keep the open mode principal (no tenant) as it was', () => {
    const tokens = createStreamTokens({ ttlMs: 1_000 });
    expect(tokens.verify(tokens.mint({ keyId: 'anonymous', tenant: undefined }).token)).toEqual({ keyId: 'anonymous', tenant: undefined });
  });
});
