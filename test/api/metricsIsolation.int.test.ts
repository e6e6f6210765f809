import { register as globalRegistry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, type ApiApp } from '../../src/api/index.js';
import { createStubPorts } from './support/stubPorts.js';

const ports = [createStubPorts(), createStubPorts()];
const apps: ApiApp[] = ports.map((port) => createApp({ ...port }));
afterAll(async () => {
  for (const { app } of apps) await app.close();
  for (const port of ports) await port.close();
});

const scrape = async (api: ApiApp) => (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
const healthz = (body: string) => body.match(/^ecl_http_requests_total\{method="GET",route="\/healthz",code="200"\} (\d+)$/m)?.[1];

describe('metrics of two apps in one process', () => {
  it('keeps a registry per app: no shared series, no double registration, nothing in the global registry', async () => {
    const [a, b] = apps as [ApiApp, ApiApp];
    expect(a.context.metrics.registry).not.toBe(b.context.metrics.registry);
    for (let i = 0; i < 3; i += 1) await a.app.inject({ method: 'GET', url: '/healthz' });
    await b.app.inject({ method: 'GET', url: '/healthz' });
    // Scraped twice each: the default metrics, registered at the first scrape, are not registered again.
    for (const api of [a, b, a, b]) expect(await scrape(api)).toMatch(/^process_cpu_user_seconds_total /m);
    expect(healthz(await scrape(a))).toBe('3');
    expect(healthz(await scrape(b))).toBe('1');
    // A third app in the same process registers the same names in its own registry.
    const third = createApp({ ...(ports[0] as (typeof ports)[0]) });
    apps.push(third);
    expect(healthz(await scrape(third))).toBeUndefined();
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
  });

  it('bounds the command types it labels, since clients choose them', async () => {
    for (let i = 0; i < 150; i += 1) (apps[0] as ApiApp).context.metrics.observeCommand(`signal${i}`, 'rejected');
    const types = new Set([...(await scrape(apps[0] as ApiApp)).matchAll(/^ecl_commands_total\{type="([^"]+)"/gm)].map((match) => match[1]));
    expect(types.size).toBe(101);
    expect(types).toContain('(other)');
  });
});
