import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectionDatabasePathFor } from '../../src/projections/index.js';

describe('projection database path', () => {
  it('sits beside a SQLite store, in memory for a memory store, per server for a remote one', () => {
    expect(projectionDatabasePathFor('sqlite:./data/ecl.db')).toBe(resolve('data/ecl.projections.db'));
    expect(projectionDatabasePathFor('sqlite:///tmp/x/events.sqlite')).toBe('/tmp/x/events.projections.db');
    expect(projectionDatabasePathFor('memory:')).toBe(':memory:');
    expect(projectionDatabasePathFor('esdb://admin:secret@db.local:2113?tls=false')).toBe(resolve('.ecl/db.local_2113.projections.db'));
    expect(projectionDatabasePathFor('memory:', '/tmp/p.db')).toBe('/tmp/p.db');
  });
});
