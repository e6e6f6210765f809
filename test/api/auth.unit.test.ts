import { describe, expect, it } from 'vitest';
import { assertSafeBind, createAuthenticator, isInsecureBindError } from '../../src/api/index.js';
import { isLoopbackHost } from '../../src/net/index.js';
import { externalize, scopeOf } from '../../src/api/tenancy.js';

const keys = [
  { id: 'a', key: 'secret-a-123', tenant: 'acme' },
  { id: 'b', key: 'secret-b-456', tenant: 'globex' },
];

describe('authenticator', () => {
  it('maps a bearer key to its id and tenant', () => {
    const auth = createAuthenticator(keys);
    expect(auth.required).toBe(true);
    expect(auth.authenticate('Bearer secret-b-456')).toEqual({ keyId: 'b', tenant: 'globex' });
    expect(auth.authenticate('bearer   secret-a-123 ')).toEqual({ keyId: 'a', tenant: 'acme' });
  });

  it('rejects missing, malformed and wrong keys', () => {
    const auth = createAuthenticator(keys);
    for (const header of [undefined, '', 'secret-a-123', 'Basic c2VjcmV0', 'Bearer', 'Bearer secret-a-12', 'Bearer secret-a-1234', 'Bearer a b']) {
      expect(auth.authenticate(header)).toBeUndefined();
    }
  });

  it('lets everyone in as anonymous when no keys are configured', () => {
    const auth = createAuthenticator([]);
    expect(auth.required).toBe(false);
    expect(auth.authenticate(undefined)).toEqual({ keyId: 'anonymous', tenant: undefined });
  });
});

describe('tenant scope', () => {
  it('prefixes ids with the tenant and owns only its own', () => {
    const scope = scopeOf({ keyId: 'a', tenant: 'acme' });
    expect(scope.internal('inv-1')).toBe('acme:inv-1');
    expect(scope.external('acme:inv-1')).toBe('inv-1');
    expect(scope.external('globex:inv-1')).toBeUndefined();
    expect(scope.owns('inv-1')).toBe(false);
    expect(() => scope.internal('globex:inv-1')).toThrow(/workflow id/);
    expect(externalize({ workflowId: 'acme:inv-1', nested: [{ workflowId: 'acme:x' }] }, scope)).toEqual({
      workflowId: 'inv-1',
      nested: [{ workflowId: 'x' }],
    });
  });

  it('in open mode uses ids as given and does not see tenant-prefixed ones', () => {
    const scope = scopeOf({ keyId: 'anonymous', tenant: undefined });
    expect(scope.internal('inv-1')).toBe('inv-1');
    expect(scope.owns('acme:inv-1')).toBe(false);
  });
});

describe('bind guard', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '192.168.1.2']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses a non-loopback host without keys, with a clear error', () => {
    let error: unknown;
    try {
      assertSafeBind('0.0.0.0', false);
    } catch (caught) {
      error = caught;
    }
    expect(isInsecureBindError(error)).toBe(true);
    expect((error as Error).message).toMatch(/0\.0\.0\.0.*ECL_API_KEYS/s);
    expect(() => assertSafeBind('0.0.0.0', true)).not.toThrow();
    expect(() => assertSafeBind('127.0.0.1', false)).not.toThrow();
  });
});
