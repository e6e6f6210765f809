import { Counter, Gauge, type Registry } from 'prom-client';
import type { ApiContext } from './context.js';
import type { AppendStats } from './countAppends.js';
import { WORKFLOW_STATUSES } from './schemas.js';

const BREAKER_STATES = ['closed', 'open', 'half-open', 'isolated'] as const;

/**
 * Registers the families read at scrape time (prom-client's `collect()`): workflows by status,
 * projection lag and model totals from the read models (all tenants), breaker states, open SSE
 * streams and the store's append counters. The read models are queried once per scrape, however
 * many families read them.
 */
export function collectMetrics(registry: Registry, ctx: ApiContext): void {
  let reading: ReturnType<typeof readModels> | undefined;
  // prom-client calls every family's collect() before awaiting any: they share one read.
  const read = () => (reading ??= readModels(ctx).finally(() => (reading = undefined)));
  const registers = [registry];

  new Gauge({
    name: 'ecl_workflows',
    help: 'Workflows by status (status read model)',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const { counts } = await read();
      for (const status of WORKFLOW_STATUSES) this.set({ status }, counts[status] ?? 0);
    },
  });
  new Gauge({
    name: 'ecl_projection_lag_positions',
    help: 'Global log positions the projections are behind the head',
    registers,
    async collect() {
      this.set((await read()).lag.positions);
    },
  });
  new Counter({
    name: 'ecl_model_calls_total',
    help: 'Model calls recorded in the log',
    registers,
    async collect() {
      this.reset();
      this.inc((await read()).model.calls);
    },
  });
  new Counter({
    name: 'ecl_model_tokens_total',
    help: 'Model tokens recorded in the log',
    labelNames: ['direction'] as const,
    registers,
    async collect() {
      const { model } = await read();
      this.reset();
      this.inc({ direction: 'input' }, model.inputTokens);
      this.inc({ direction: 'output' }, model.outputTokens);
    },
  });
  new Counter({
    name: 'ecl_model_cost_usd_total',
    help: 'Model cost recorded in the log, in US dollars',
    registers,
    async collect() {
      this.reset();
      this.inc((await read()).model.costUsd);
    },
  });
  new Gauge({
    name: 'ecl_llm_breaker_state',
    help: 'Circuit breaker state per model provider (1 for the current state)',
    labelNames: ['provider', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const breaker of ctx.runtime.resilience?.().breakers ?? [])
        for (const state of BREAKER_STATES) this.set({ provider: breaker.name, state }, breaker.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ecl_sse_connections',
    help: 'Open SSE streams',
    registers,
    collect() {
      this.set(ctx.streams.size);
    },
  });

  if (ctx.appendStats !== undefined) registerAppendCounters(registry, ctx.appendStats);
}

/** The store's append counters of this process (`countAppends`' `stats`), read at scrape time. */
export function registerAppendCounters(registry: Registry, appendStats: () => AppendStats): void {
  const storeCounter = (name: string, help: string, pick: (stats: AppendStats) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(pick(appendStats()));
      },
    });
  storeCounter('ecl_store_appends_total', 'Successful appends to the event store by this process', (stats) => stats.appends);
  storeCounter('ecl_store_appended_events_total', 'Events appended by this process', (stats) => stats.events);
  storeCounter('ecl_store_append_failures_total', 'Appends that failed (conflicts included)', (stats) => stats.failures);
}

async function readModels(ctx: ApiContext) {
  const [counts, lag, model] = await Promise.all([ctx.queries.countsByStatus(), ctx.queries.lag(), ctx.queries.modelTotals()]);
  return { counts, lag, model };
}
