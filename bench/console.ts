/**
 * `npm run bench -- console [--workflows 10000] [--events 500] [--samples 20]`: the web console in
 * Debian's Chromium (headless, playwright-core) against `ecl serve` on SQLite in a temp folder, with
 * API keys on. Seeds `--workflows` finished serial3 workflows and one workflow of about `--events`
 * events, then times: the list's first render, a filter change, the workflow page of the long one
 * (timeline, graph and folded history drawn), the live lag (a start until its row shows in a list
 * opened before), and the size of the console's files gzipped. Writes bench/results/console.json.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium, type Page } from 'playwright-core';
import { z } from 'zod';
import { startServer } from '../src/api/index.js';
import { buildConsole } from '../src/console/build.js';
import { createMemoryArtifactStore } from '../src/artifacts/index.js';
import { createOfflineProvider } from '../src/llm/index.js';
import { createRegistry, defineWorkflow } from '../src/machines/index.js';
import { serial3 } from './_serial3.js';
import { argNumber } from './_args.js';
import { silentLogger } from './_silentLogger.js';

const CHROMIUM = '/usr/bin/chromium';
const KEY = { id: 'bench', key: 'bench-console-key-0001', tenant: 'bench' };
const TARGETS = { listFirstRenderMs: 1000, filterChangeMs: 1000, workflowPageMs: 1000, liveLagP50Ms: 250, assetsGzipKB: 300 };

/** One step journaling `calls` no-op calls: a history of calls + 6 events. */
const long = defineWorkflow({
  name: 'long',
  version: 1,
  input: z.object({ calls: z.number().int().min(1) }),
  steps: [
    {
      kind: 'produce',
      name: 'journal',
      run: async (ctx) => {
        for (let index = 0; index < ctx.input.calls; index += 1) await ctx.run(`call${index}`, () => index);
        return ctx.input.calls;
      },
    },
  ],
});

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;
};
const round = (value: number) => Math.round(value * 10) / 10;

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/console/`);
  await page.getByLabel('API key').fill(KEY.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Workflows', level: 1 }).waitFor();
}

export async function main(args: string[]): Promise<void> {
  const count = argNumber(args, 'workflows', 10_000);
  const events = argNumber(args, 'events', 500);
  const samples = argNumber(args, 'samples', 20);
  if (!existsSync(CHROMIUM)) {
    console.log(`console: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    return;
  }
  const built = await buildConsole();
  const dir = mkdtempSync(join(tmpdir(), 'ecl-bench-console-'));
  const server = await startServer({
    env: { ECL_API_KEYS: `${KEY.id}:${KEY.key}=${KEY.tenant}` },
    cwd: dir,
    flags: { store: `sqlite:${join(dir, 'ecl.db')}`, port: 0, host: '127.0.0.1', projections: join(dir, 'projections.db'), inspectPort: 0 },
    llm: { provider: createOfflineProvider(), description: 'LLM: offline' },
    artifacts: createMemoryArtifactStore(),
    logger: silentLogger(),
    definitions: createRegistry([serial3, long]),
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const seedStarted = performance.now();
    const ids = Array.from({ length: count }, (_, index) => `wf-${String(index).padStart(6, '0')}`);
    for (let at = 0; at < ids.length; at += 200) {
      const batch = ids.slice(at, at + 200);
      await Promise.all(batch.map((id) => server.engine.start('serial3', {}, { id: `${KEY.tenant}:${id}`, tenant: KEY.tenant, sender: KEY.id })));
      await Promise.all(batch.map((id) => server.engine.settled(`${KEY.tenant}:${id}`)));
    }
    await server.engine.start('long', { calls: Math.max(1, events - 6) }, { id: `${KEY.tenant}:long-1`, tenant: KEY.tenant, sender: KEY.id });
    await server.engine.settled(`${KEY.tenant}:long-1`);
    const headers = { authorization: `Bearer ${KEY.key}` };
    const audit = (await (await fetch(`${server.url}/v1/workflows/long-1/audit`, { headers })).json()) as { entries: unknown[] };
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, server.url);
    // First render: a fresh load of the list page (script, key check, first page of 25 rows).
    let started = performance.now();
    await page.reload();
    await page.locator('tbody tr').nth(24).waitFor();
    const listFirstRenderMs = performance.now() - started;

    started = performance.now();
    await page.getByLabel('Definition').selectOption('long');
    await page.locator('tbody tr[data-id="long-1"]').waitFor();
    await page.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
    const filterChangeMs = performance.now() - started;

    started = performance.now();
    await page.goto(`${server.url}/console/#/workflows/long-1`);
    await page
      .locator('.timeline .entry')
      .nth(audit.entries.length - 1)
      .waitFor();
    await page.locator('.graph svg').first().waitFor();
    await page.locator('#travel-slider').waitFor();
    const workflowPageMs = performance.now() - started;

    // Live lag: the list (newest first) is open; each start should show as a row.
    const list = await context.newPage();
    await signIn(list, server.url);
    await list.getByText('Live', { exact: true }).waitFor();
    const lags: number[] = [];
    for (let index = 0; index < samples; index += 1) {
      const id = `live-${index}`;
      const at = performance.now();
      await server.engine.start('serial3', {}, { id: `${KEY.tenant}:${id}`, tenant: KEY.tenant, sender: KEY.id });
      await list.locator(`tbody tr[data-id="${id}"]`).waitFor();
      lags.push(performance.now() - at);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const assetsGzipKB = built.files.reduce((sum, file) => sum + file.gzipBytes, 0) / 1024;

    const figures = {
      listFirstRenderMs: round(listFirstRenderMs),
      filterChangeMs: round(filterChangeMs),
      workflowPageMs: round(workflowPageMs),
      workflowPageEvents: audit.entries.length,
      liveLagP50Ms: round(percentile(lags, 0.5)),
      liveLagP95Ms: round(percentile(lags, 0.95)),
      assetsGzipKB: round(assetsGzipKB),
    };
    const met = {
      listFirstRenderMs: figures.listFirstRenderMs <= TARGETS.listFirstRenderMs,
      filterChangeMs: figures.filterChangeMs <= TARGETS.filterChangeMs,
      workflowPageMs: figures.workflowPageMs <= TARGETS.workflowPageMs,
      liveLagP50Ms: figures.liveLagP50Ms <= TARGETS.liveLagP50Ms,
      assetsGzipKB: figures.assetsGzipKB <= TARGETS.assetsGzipKB,
    };
    console.log(`console: ${count.toLocaleString('en')} workflows seeded in ${seedSeconds.toFixed(1)} s`);
    console.table(
      Object.entries(TARGETS).map(([name, target]) => ({
        figure: name,
        value: figures[name as keyof typeof figures],
        target,
        met: met[name as keyof typeof met],
      })),
    );
    console.log(`live lag p95 ${figures.liveLagP95Ms} ms over ${samples} starts; workflow page: ${figures.workflowPageEvents} events`);
    console.log(`files: ${built.files.map((file) => `${file.name} ${(file.gzipBytes / 1024).toFixed(1)} KB gzipped`).join(', ')}`);
    writeFileSync(
      join(import.meta.dirname, 'results', 'console.json'),
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          store: 'sqlite (temp file), API keys on, Chromium headless',
          machine: {
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model ?? '',
            memoryGiB: Math.round(totalmem() / 2 ** 30),
            node: process.version,
            loadAverage: loadavg(),
          },
          workflows: count,
          figures,
          targets: TARGETS,
          met,
          files: built.files,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
