import { percentile } from './percentile.js';
import type { ReadModelSql } from './readModelSql.js';
import { effectiveStatusSql, type IsRegistered } from './statusQueries.js';

export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface DurationSummary {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface MetricsSummary {
  workflows: {
    total: number;
    byStatus: Record<string, number>;
    byDefinition: Record<string, { total: number; byStatus: Record<string, number> }>;
  };
  usage: {
    total: UsageTotals;
    byDefinition: (UsageTotals & { definition: string })[];
    byStep: (UsageTotals & { definition: string; step: string })[];
    byModel: (UsageTotals & { model: string })[];
  };
  revisions: { definition: string; step: string; revisions: number; workflows: number }[];
  durations: {
    steps: (DurationSummary & { definition: string; step: string })[];
    workflows: (DurationSummary & { definition: string })[];
  };
}

const USAGE =
  'COUNT(*) AS calls, COALESCE(SUM(input_tokens), 0) AS "inputTokens", COALESCE(SUM(output_tokens), 0) AS "outputTokens", COALESCE(SUM(cost_usd), 0) AS "costUsd"';

/** Groups rows sorted by key then value into nearest-rank p50/p95 per key. */
function durationsByKey<R extends { value: number }, K extends object>(rows: readonly R[], keyOf: (row: R) => K): (DurationSummary & K)[] {
  const groups = new Map<string, { key: K; values: number[] }>();
  for (const row of rows) {
    const key = keyOf(row);
    const id = JSON.stringify(key);
    let group = groups.get(id);
    if (group === undefined) groups.set(id, (group = { key, values: [] }));
    group.values.push(row.value);
  }
  return [...groups.values()].map(({ key, values }) => ({
    ...key,
    count: values.length,
    p50Ms: percentile(values, 50) ?? null,
    p95Ms: percentile(values, 95) ?? null,
  }));
}

export interface MetricsSummaryOptions {
  /** Only this tenant's workflows. */
  tenant?: string;
}

/** A sum of float costs as a person reads it: 0.0065, not 0.006500000000000001 (no price has 12 decimals). */
const exactCost = <T extends { costUsd: number }>(row: T): T => ({ ...row, costUsd: Math.round(row.costUsd * 1e12) / 1e12 });

export async function metricsSummary(sql: ReadModelSql, isRegistered?: IsRegistered, { tenant }: MetricsSummaryOptions = {}): Promise<MetricsSummary> {
  const status = await effectiveStatusSql(sql, isRegistered);
  const only = tenant === undefined ? '' : 'WHERE tenant = ?';
  const tenantParams = tenant === undefined ? [] : [tenant];
  const counts = await sql.all<{ definition: string; status: string; n: number }>(
    `SELECT definition, ${status.sql} AS status, COUNT(*) AS n FROM workflow_status ${only} GROUP BY 1, 2 ORDER BY 1, 2`,
    [...status.params, ...tenantParams],
  );
  const workflows: MetricsSummary['workflows'] = { total: 0, byStatus: {}, byDefinition: {} };
  for (const { definition, status: value, n } of counts) {
    workflows.total += n;
    workflows.byStatus[value] = (workflows.byStatus[value] ?? 0) + n;
    const perDefinition = (workflows.byDefinition[definition] ??= { total: 0, byStatus: {} });
    perDefinition.total += n;
    perDefinition.byStatus[value] = n;
  }
  // Every metrics query filters on the tenant the same way: `${only}` before its GROUP BY / ORDER BY.
  const all = <T>(text: string): Promise<T[]> => sql.all<T>(text, tenantParams);
  // Step outcomes with a model call, and completed steps (which carry a duration).
  const calls = `metrics_steps WHERE model IS NOT NULL ${tenant === undefined ? '' : 'AND tenant = ?'}`;
  const completed = `metrics_steps WHERE duration_ms IS NOT NULL ${tenant === undefined ? '' : 'AND tenant = ?'}`;
  const [total, byDefinition, byStep, byModel, revisions, stepDurations, workflowDurations] = await Promise.all([
    all<UsageTotals>(`SELECT ${USAGE} FROM ${calls}`),
    all<UsageTotals & { definition: string }>(`SELECT definition, ${USAGE} FROM ${calls} GROUP BY definition ORDER BY definition`),
    all<UsageTotals & { definition: string; step: string }>(
      `SELECT definition, step, ${USAGE} FROM ${calls} GROUP BY definition, step ORDER BY definition, step`,
    ),
    all<UsageTotals & { model: string }>(`SELECT model, ${USAGE} FROM ${calls} GROUP BY model ORDER BY model`),
    all<MetricsSummary['revisions'][number]>(
      `SELECT definition, step, COUNT(*) AS revisions, COUNT(DISTINCT workflow_id) AS workflows FROM metrics_revisions ${only} GROUP BY definition, step ORDER BY definition, step`,
    ),
    all<{ definition: string; step: string; value: number }>(
      `SELECT definition, step, duration_ms AS value FROM ${completed} ORDER BY definition, step, duration_ms`,
    ),
    all<{ definition: string; value: number }>(
      `SELECT definition, ended_ms - started_ms AS value FROM metrics_workflows WHERE ended_ms IS NOT NULL ${tenant === undefined ? '' : 'AND tenant = ?'} ORDER BY definition, value`,
    ),
  ]);
  return {
    workflows,
    usage: {
      total: exactCost(total[0] ?? { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 }),
      byDefinition: byDefinition.map(exactCost),
      byStep: byStep.map(exactCost),
      byModel: byModel.map(exactCost),
    },
    revisions,
    durations: {
      steps: durationsByKey(stepDurations, ({ definition, step }) => ({ definition, step })),
      workflows: durationsByKey(workflowDurations, ({ definition }) => ({ definition })),
    },
  };
}
