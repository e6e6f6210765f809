import { describe, expect, it } from 'vitest';
import { parseKurrentDbUrl, redactUrl } from '../../src/eventstore/kurrentdb/index.js';

describe('KurrentDB store URLs', () => {
  it('passes kurrentdb:// connection strings and their options through unchanged', () => {
    expect(parseKurrentDbUrl('kurrentdb://db.local:2113?tls=false&defaultDeadline=5000').connectionString).toBe(
      'kurrentdb://db.local:2113?tls=false&defaultDeadline=5000',
    );
    expect(parseKurrentDbUrl('kurrentdb+discover://a:2113,b:2113?tls=true').connectionString).toBe('kurrentdb+discover://a:2113,b:2113?tls=true');
  });

  it('spells the older esdb:// scheme as kurrentdb:// (same protocol; the client warns on esdb)', () => {
    expect(parseKurrentDbUrl('esdb://127.0.0.1:2113?tls=false').connectionString).toBe('kurrentdb://127.0.0.1:2113?tls=false');
    expect(parseKurrentDbUrl('ESDB+discover://cluster:2113').connectionString).toBe('kurrentdb+discover://cluster:2113');
  });

  it('masks credentials in what it shows', () => {
    const url = 'kurrentdb://admin:changeit@db:2113?tls=false';
    expect(parseKurrentDbUrl(url).redacted).toBe('kurrentdb://***@db:2113?tls=false');
    expect(parseKurrentDbUrl(url).connectionString).toBe(url);
    expect(redactUrl('esdb://u:p@h:1')).toBe('esdb://***@h:1');
  });

  it('rejects URLs that are not KurrentDB connection strings with INVALID_STORE_URL', () => {
    for (const url of ['http://db:2113', 'sqlite:./x.db', 'kurrentdb:db:2113', '', 'kurrentdb://']) {
      expect(() => parseKurrentDbUrl(url)).toThrow(expect.objectContaining({ code: 'INVALID_STORE_URL' }));
    }
  });
});
