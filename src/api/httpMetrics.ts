import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Seconds. Most API answers take a millisecond or a few; `?wait=` starts and SSE streams last as
 * long as they wait or stay open (filter those routes out of latency panels).
 */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Past this many distinct command types, further ones are counted as `(other)`: clients choose the names. */
const MAX_COMMAND_TYPES = 100;

/** What the API counts itself: requests by method, route and code (with their duration), and commands by type and outcome. */
export interface HttpMetrics {
  observeRequest(method: string, route: string, code: number, seconds: number): void;
  observeCommand(type: string, outcome: 'accepted' | 'duplicate' | 'rejected'): void;
}

export function createHttpMetrics(registry: Registry): HttpMetrics {
  const requests = new Counter({
    name: 'ecl_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'ecl_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, from the request to the end of the response, by method, route and status code',
    labelNames: ['method', 'route', 'code'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  });
  const commands = new Counter({
    name: 'ecl_commands_total',
    help: 'Commands received through the API by type and outcome',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  // Label children per series: a request then costs one string key and a map lookup, not prom-client's label hashing twice.
  const series = new Map<string, { count: Counter.Internal; time: Histogram.Internal<'method' | 'route' | 'code'> }>();
  const types = new Set<string>();
  return {
    observeRequest(method, route, code, seconds) {
      const key = `${method} ${route} ${code}`;
      let child = series.get(key);
      if (child === undefined) {
        const labels = { method, route, code: String(code) };
        child = { count: requests.labels(labels), time: durations.labels(labels) };
        series.set(key, child);
      }
      child.count.inc();
      child.time.observe(seconds);
    },
    observeCommand(type, outcome) {
      if (!types.has(type) && types.size < MAX_COMMAND_TYPES) types.add(type);
      commands.inc({ type: types.has(type) ? type : '(other)', outcome });
    },
  };
}
