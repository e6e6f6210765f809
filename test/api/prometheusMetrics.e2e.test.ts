import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowStream } from '../../src/eventstore/index.js';
import { briefInput, eventually, startTestServer, type TestServer } from './support/testServer.js';

interface Sample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface Family {
  name: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

let server: TestServer;
let text: string;
let families: Map<string, Family>;

const family = (name: string): Family => {
  const found = families.get(name);
  if (found === undefined) throw new Error(`no family ${name} in /metrics`);
  return found;
};
/**
 * The exposition's sample lines of one series name (`x_total`, `x_bucket`, ...) with their labels:
 * parse-prometheus-text-format 1.1 merges the series of a labelled histogram into one, so the
 * histograms' values are read from the text here (its families and types still come from the parser).
 */
const samples = (name: string) =>
  [...text.matchAll(new RegExp(`^${name}(?:\\{(.*)\\})? (\\S+)$`, 'gm'))].map((match) => ({
    labels: Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]])) as Record<string, string>,
    value: Number(match[2]),
  }));
const matching = (labels: Record<string, string>, match: Record<string, string>) => Object.entries(match).every(([key, value]) => labels[key] === value);
const labelNames = (name: string) =>
  new Set(samples(family(name).type === 'HISTOGRAM' ? `${name}_count` : name).flatMap((sample) => Object.keys(sample.labels)));
/** Sum of a histogram's `_count` (or a counter's value) over the series matching `match`. */
const countOf = (name: string, match: Record<string, string> = {}) =>
  samples(family(name).type === 'HISTOGRAM' ? `${name}_count` : name)
    .filter((sample) => matching(sample.labels, match))
    .reduce((total, sample) => total + sample.value, 0);

/** The recorded events of a workflow's stream, by type. */
const recorded = async (workflowId: string) => server.store.readStream(workflowStream(`acme:${workflowId}`));

beforeAll(async () => {
  server = await startTestServer();
  // A brief (model calls, a validating loop) and a serial3, each until it completes; and a 404 and a 400.
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'serial3', input: {}, id: 's3' } })).status).toBe(201);
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'brief', input: briefInput(), id: 'b1' } })).status).toBe(201);
  for (const id of ['s3', 'b1'])
    await eventually(async () => {
      const { body } = await server.call('GET', `/v1/workflows/${id}`);
      if (body.status === 'waiting') await server.call('POST', `/v1/workflows/${id}/events`, { body: { type: 'APPROVE' } });
      return body.status === 'completed' ? true : undefined;
    }, `${id} to complete`);
  expect((await server.call('GET', '/v1/workflows/nope')).status).toBe(404);
  expect((await server.call('GET', '/v1/workflows?status=sleeping')).status).toBe(400);
  const response = await fetch(`${server.url}/metrics`);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  text = await response.text();
  families = new Map(parse(text).map((parsed) => [parsed.name, parsed]));
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe('/metrics (prom-client)', () => {
  it('has every ECL family with its type and labels', () => {
    const expected: Array<[string, Family['type'], string[]]> = [
      ['ecl_workflows', 'GAUGE', ['status']],
      ['ecl_projection_lag_positions', 'GAUGE', []],
      ['ecl_model_calls_total', 'COUNTER', []],
      ['ecl_model_tokens_total', 'COUNTER', ['direction']],
      ['ecl_model_cost_usd_total', 'COUNTER', []],
      ['ecl_llm_breaker_state', 'GAUGE', []],
      ['ecl_sse_connections', 'GAUGE', []],
      ['ecl_http_requests_total', 'COUNTER', ['method', 'route', 'code']],
      ['ecl_commands_total', 'COUNTER', []],
      ['ecl_store_appends_total', 'COUNTER', []],
      ['ecl_store_appended_events_total', 'COUNTER', []],
      ['ecl_store_append_failures_total', 'COUNTER', []],
      ['ecl_http_request_duration_seconds', 'HISTOGRAM', ['method', 'route', 'code']],
      ['ecl_step_duration_seconds', 'HISTOGRAM', ['definition', 'step', 'outcome']],
      ['ecl_model_call_duration_seconds', 'HISTOGRAM', ['model', 'outcome']],
      ['ecl_store_append_duration_seconds', 'HISTOGRAM', ['outcome']],
    ];
    for (const [name, type, labels] of expected) {
      expect(family(name).type, name).toBe(type);
      for (const label of labels) expect(labelNames(name), `${name} labels`).toContain(label);
    }
    expect(labelNames('ecl_http_requests_total')).not.toContain('status');
    expect(family('ecl_workflows').metrics.find((sample) => sample.labels?.status === 'completed')?.value).toBe('2');
    expect(Number(family('ecl_model_calls_total').metrics[0]?.value)).toBeGreaterThan(0);
  });

  it('has the standard process_* and nodejs_* metrics', () => {
    for (const name of [
      'process_cpu_seconds_total',
      'process_start_time_seconds',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_version_info',
    ])
      expect(families.has(name), name).toBe(true);
    expect(family('nodejs_gc_duration_seconds').type).toBe('HISTOGRAM');
  });

  it('writes histograms as _bucket (le, +Inf), _sum and _count', () => {
    for (const name of [
      'ecl_http_request_duration_seconds',
      'ecl_step_duration_seconds',
      'ecl_model_call_duration_seconds',
      'ecl_store_append_duration_seconds',
    ]) {
      expect(text).toMatch(new RegExp(`^${name}_bucket\\{.*le="\\+Inf".*\\} \\d+$`, 'm'));
      expect(text).toMatch(new RegExp(`^${name}_sum(\\{.*\\})? [\\d.e+-]+$`, 'm'));
      expect(text).toMatch(new RegExp(`^${name}_count(\\{.*\\})? \\d+$`, 'm'));
      const counts = samples(`${name}_count`);
      expect(counts.length, `${name} series`).toBeGreaterThan(0);
      for (const { labels, value } of counts) {
        const buckets = samples(`${name}_bucket`).filter((bucket) => matching(bucket.labels, labels));
        const values = buckets.map((bucket) => bucket.value);
        expect(values, `${name} buckets are cumulative`).toEqual([...values].sort((a, b) => a - b));
        expect(buckets.at(-1)?.labels.le, `${name} ends with +Inf`).toBe('+Inf');
        expect(values.at(-1), `${name} +Inf bucket = count`).toBe(value);
        expect(samples(`${name}_sum`).filter((sum) => matching(sum.labels, labels))).toHaveLength(1);
      }
    }
  });

  it('counts HTTP requests by method, route and code, each also in the duration histogram', () => {
    expect(countOf('ecl_http_requests_total', { method: 'POST', route: '/v1/workflows', code: '201' })).toBe(2);
    expect(countOf('ecl_http_requests_total', { method: 'GET', route: '/v1/workflows/:id', code: '404' })).toBe(1);
    expect(countOf('ecl_http_requests_total', { method: 'GET', route: '/v1/workflows', code: '400' })).toBe(1);
    const requests = samples('ecl_http_requests_total');
    expect(requests.length).toBeGreaterThan(3);
    for (const { labels, value } of requests) expect(countOf('ecl_http_request_duration_seconds', labels), JSON.stringify(labels)).toBe(value);
  });

  it('observes every step attempt run, every model call and every append', async () => {
    // serial3: its three steps, once each.
    for (const step of ['one', 'two', 'three']) expect(countOf('ecl_step_duration_seconds', { definition: 'serial3', step, outcome: 'completed' })).toBe(1);
    // brief: as many as its stream records outcomes and model calls.
    const events = await recorded('b1');
    const outcomes = events.filter((event) => event.type === 'StepCompleted' || event.type === 'StepFailed');
    expect(outcomes.length).toBeGreaterThan(1);
    expect(countOf('ecl_step_duration_seconds', { definition: 'brief' })).toBe(outcomes.length);
    const modelCalls = events.filter((event) => event.type === 'CallCompleted' && (event.data as { kind: string }).kind === 'complete');
    expect(modelCalls.length).toBeGreaterThan(0);
    expect(countOf('ecl_model_call_duration_seconds')).toBe(modelCalls.length);
    // Nothing was recovered on this fresh store: every append of this process was timed.
    expect(countOf('ecl_store_append_duration_seconds', { outcome: 'ok' })).toBe(countOf('ecl_store_appends_total'));
    expect(countOf('ecl_store_append_duration_seconds', { outcome: 'ok' })).toBeGreaterThan(0);
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  it.skipIf(!promtool)('passes `promtool check metrics`', () => {
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
  });
  if (!promtool) it.skip('promtool check metrics: promtool is not on PATH (Debian: apt-get install prometheus)', () => {});
});
