import { expect, it } from 'vitest';
import { metricsSummary } from '../../src/projections/metricsQueries.js';
import type { ReadModelSql } from '../../src/projections/readModelSql.js';

it('a summed cost reads as a price: 0.3, not the 0.30000000000000004 a float sum gives', async () => {
  // Every usage query answers one row summing 0.1 and 0.2 as the database's floats do; the others answer nothing.
  const sql: ReadModelSql = {
    all: async <T>(text: string) =>
      (text.includes('SUM(cost_usd)')
        ? [{ definition: 'd', step: 's', model: 'm', calls: 2, inputTokens: 1, outputTokens: 1, costUsd: 0.1 + 0.2 }]
        : []) as T[],
  };
  const { usage } = await metricsSummary(sql);
  expect(0.1 + 0.2).not.toBe(0.3);
  expect([usage.total, ...usage.byDefinition, ...usage.byStep, ...usage.byModel].map((row) => row.costUsd)).toEqual([0.3, 0.3, 0.3, 0.3]);
});
