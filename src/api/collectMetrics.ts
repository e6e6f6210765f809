import type { ApiContext } from './context.js';
import type { Family } from './prometheus.js';
import { WORKFLOW_STATUSES } from './schemas.js';

const BREAKER_STATES = ['closed', 'open', 'half-open', 'isolated'] as const;

/** Gathers every /metrics family from the read models, the store counters and the runtime. */
export async function collectMetrics(ctx: ApiContext): Promise<Family[]> {
  const [counts, lag, model] = await Promise.all([ctx.queries.countsByStatus(), ctx.queries.lag(), ctx.queries.modelTotals()]);
  const appends = ctx.appendStats?.();
  const breakers = ctx.runtime.resilience?.().breakers ?? [];
  const families: Family[] = [
    {
      name: 'ecl_workflows',
      help: 'Workflows by status (status read model)',
      type: 'gauge',
      samples: WORKFLOW_STATUSES.map((status) => ({ labels: { status }, value: counts[status] ?? 0 })),
    },
    {
      name: 'ecl_projection_lag_positions',
      help: 'Global log positions the projections are behind the head',
      type: 'gauge',
      samples: [{ value: lag.positions }],
    },
    { name: 'ecl_model_calls_total', help: 'Model calls recorded in the log', type: 'counter', samples: [{ value: model.calls }] },
    {
      name: 'ecl_model_tokens_total',
      help: 'Model tokens recorded in the log',
      type: 'counter',
      samples: [
        { labels: { direction: 'input' }, value: model.inputTokens },
        { labels: { direction: 'output' }, value: model.outputTokens },
      ],
    },
    { name: 'ecl_model_cost_usd_total', help: 'Model cost recorded in the log, in US dollars', type: 'counter', samples: [{ value: model.costUsd }] },
    {
      name: 'ecl_llm_breaker_state',
      help: 'Circuit breaker state per model provider (1 for the current state)',
      type: 'gauge',
      samples: breakers.flatMap((breaker) =>
        BREAKER_STATES.map((state) => ({ labels: { provider: breaker.name, state }, value: breaker.state === state ? 1 : 0 })),
      ),
    },
    { name: 'ecl_sse_connections', help: 'Open SSE streams', type: 'gauge', samples: [{ value: ctx.streams.size }] },
    {
      name: 'ecl_http_requests_total',
      help: 'HTTP requests by method, route and status',
      type: 'counter',
      samples: [...ctx.metrics.requests].map(([key, value]) => {
        const [method = '', route = '', status = ''] = key.split(' ');
        return { labels: { method, route, status }, value };
      }),
    },
    {
      name: 'ecl_commands_total',
      help: 'Commands received through the API by type and outcome',
      type: 'counter',
      samples: [...ctx.metrics.commands].map(([key, value]) => {
        const [type = '', outcome = ''] = key.split(' ');
        return { labels: { type, outcome }, value };
      }),
    },
  ];
  if (appends !== undefined) {
    families.push(
      {
        name: 'ecl_store_appends_total',
        help: 'Successful appends to the event store by this process',
        type: 'counter',
        samples: [{ value: appends.appends }],
      },
      { name: 'ecl_store_appended_events_total', help: 'Events appended by this process', type: 'counter', samples: [{ value: appends.events }] },
      { name: 'ecl_store_append_failures_total', help: 'Appends that failed (conflicts included)', type: 'counter', samples: [{ value: appends.failures }] },
    );
  }
  return families;
}
