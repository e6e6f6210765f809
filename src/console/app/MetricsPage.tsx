import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { formatCost, formatTokens } from './format.js';

interface Totals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

interface Summary {
  workflows: { total: number; byStatus: Record<string, number>; byDefinition: Record<string, { total: number; byStatus: Record<string, number> }> };
  usage: {
    total: Totals;
    byDefinition: Array<Totals & { definition: string }>;
    byStep: Array<Totals & { definition: string; step: string }>;
    byModel: Array<Totals & { model: string }>;
  };
  revisions: Array<{ definition: string; step: string; revisions: number; workflows: number }>;
  durations: {
    steps: Array<{ definition: string; step: string; count: number; p50Ms: number | null; p95Ms: number | null }>;
    workflows: Array<{ definition: string; count: number; p50Ms: number | null; p95Ms: number | null }>;
  };
}

/** A horizontal bar chart in SVG; the numbers are in the text too. */
function Bars({ title, rows, format = String }: { title: string; rows: Array<[string, number]>; format?: (value: number) => string }) {
  const max = Math.max(1, ...rows.map(([, value]) => value));
  const height = rows.length * 28 + 8;
  return (
    <figure class="bars">
      <svg viewBox={`0 0 520 ${height}`} role="img" aria-label={`${title}: ${rows.map(([label, value]) => `${label} ${format(value)}`).join(', ') || 'none'}`}>
        {rows.map(([label, value], index) => (
          <g key={label} transform={`translate(0 ${index * 28 + 4})`}>
            <text x="0" y="16" class="bar-label">
              {label}
            </text>
            <rect x="160" y="2" height="20" width={Math.max(2, (value / max) * 280)} class="bar" />
            <text x={166 + Math.max(2, (value / max) * 280)} y="16" class="bar-value">
              {format(value)}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

const ms = (value: number | null) => (value === null ? '–' : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`);

export function MetricsPage() {
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const load = () => api<Summary>('/v1/metrics/summary').then(setSummary, (problem: Error) => setError(problem.message));
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, []);
  if (error !== '')
    return (
      <section>
        <h1>Metrics</h1>
        <p role="alert">{error}</p>
      </section>
    );
  if (summary === null) return <p role="status">Loading metrics…</p>;
  const total = summary.usage.total;
  return (
    <section aria-labelledby="metrics-title">
      <h1 id="metrics-title">Metrics</h1>
      <dl class="facts">
        <div>
          <dt>Workflows</dt>
          <dd>{summary.workflows.total}</dd>
        </div>
        <div>
          <dt>Model calls</dt>
          <dd>{total.calls}</dd>
        </div>
        <div>
          <dt>Tokens in / out</dt>
          <dd>
            {formatTokens(total.inputTokens)} / {formatTokens(total.outputTokens)}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{formatCost(total.costUsd)}</dd>
        </div>
      </dl>
      <div class="charts">
        <Bars title="Workflows by status" rows={Object.entries(summary.workflows.byStatus)} />
        <Bars
          title="Cost by definition (USD)"
          rows={summary.usage.byDefinition.map((row) => [row.definition, row.costUsd])}
          format={(value) => formatCost(value)}
        />
        <Bars
          title="Tokens by step"
          rows={summary.usage.byStep.map((row) => [`${row.definition}.${row.step}`, row.inputTokens + row.outputTokens])}
          format={formatTokens}
        />
        <Bars title="Revisions by loop" rows={summary.revisions.map((row) => [`${row.definition}.${row.step}`, row.revisions])} />
      </div>
      <table>
        <caption>Step durations</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col" class="num">
              Runs
            </th>
            <th scope="col" class="num">
              p50
            </th>
            <th scope="col" class="num">
              p95
            </th>
          </tr>
        </thead>
        <tbody>
          {summary.durations.steps.map((row) => (
            <tr key={`${row.definition}.${row.step}`}>
              <td>
                {row.definition}.{row.step}
              </td>
              <td class="num">{row.count}</td>
              <td class="num">{ms(row.p50Ms)}</td>
              <td class="num">{ms(row.p95Ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
