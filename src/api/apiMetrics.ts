import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AppendListener } from './countAppends.js';
import { createHttpMetrics, type HttpMetrics } from './httpMetrics.js';
import { createWorkflowMetrics } from './workflowMetrics.js';

/**
 * A registry of its own (never prom-client's global one), so that two apps in a process (tests,
 * embedding) neither share series nor collide registering the same names.
 */
export interface MetricsRegistry {
  readonly registry: Registry;
  /** The Prometheus text exposition (format 0.0.4) of everything registered, process_* and nodejs_* included. */
  render(): Promise<string>;
  readonly contentType: string;
}

/** One app's metrics. */
export interface ApiMetrics extends HttpMetrics, MetricsRegistry {
  /** Give to `countAppends(...).observe`: append time, step durations and model-call latency. */
  readonly observeAppend: AppendListener;
}

/** prom-client default gauges whose `_total` suffix promtool rejects for a non-counter. */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createMetricsRegistry(): MetricsRegistry {
  const registry = new Registry();
  let defaults = false;
  return {
    registry,
    contentType: registry.contentType,
    render() {
      // Registered at the first scrape, not with the app: prom-client starts an event-loop-delay
      // monitor and a GC observer per registration and never stops them, which apps that are
      // never scraped (tests, embedding) should not pay for. Their figures are the process's.
      if (!defaults) {
        defaults = true;
        collectDefaultMetrics({ register: registry });
        // Gauges named like counters fail `promtool check metrics`; their per-`type` gauges
        // (nodejs_active_handles, _requests, _resources) stay, and sum to the same figures.
        for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
      }
      return registry.metrics();
    },
  };
}

export function createApiMetrics(): ApiMetrics {
  const metrics = createMetricsRegistry();
  return {
    ...metrics,
    ...createHttpMetrics(metrics.registry),
    observeAppend: createWorkflowMetrics(metrics.registry),
  };
}
