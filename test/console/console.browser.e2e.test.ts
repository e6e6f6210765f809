import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../api/support/testServer.js';
import { KEYS, briefInput, eventually } from '../api/support/testServer.js';
import { createRegistry } from '../../src/machines/index.js';
import { digest, summary } from '../api/support/familyDefinitions.js';
import { SAMPLE_DEFINITIONS } from '../support/definitions.js';
import { CHROMIUM, chromiumPresent, launchChromium, screenshot, seriousViolations, signIn, startConsoleServer } from './support/consoleBrowser.js';

// Issue 17: the web console `ecl serve` ships, driven in Debian's Chromium against a real server
// (temporary SQLite store, offline model). Screenshots land in test-output/console/.

if (!chromiumPresent) console.warn(`console: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const FIRST_DRAFT = 'First draft: the pilot ran six weeks and adoption reached 72 percent.';
// The first draft holds for a moment (so the page sees it running) and is a text we know; the rest is the offline model,
// whose reviewer asks for one revision and then approves.
const SCRIPT = { steps: { draft: [{ iteration: 1, holdMs: 2500, text: FIRST_DRAFT }] }, fallback: 'offline' };

describe.skipIf(!chromiumPresent)('the web console', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  const requested: string[] = [];

  beforeAll(async () => {
    server = await startConsoleServer(SCRIPT, createRegistry([...SAMPLE_DEFINITIONS, summary, digest]));
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.on('request', (request) => requested.push(request.url()));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const open = async (hash = ''): Promise<Page> => {
    const page = await context.newPage();
    await signIn(page, server.url, KEYS.acme.key);
    if (hash !== '') await page.goto(`${server.url}/console/${hash}`);
    return page;
  };
  const badge = (page: Page) => page.locator('h1 .badge');

  it('is served by ecl serve itself, with a policy that loads nothing from elsewhere, and asks for a key', async () => {
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    const index = await fetch(`${server.url}/console/`);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await index.text()).not.toMatch(/https?:\/\//);

    const page = await context.newPage();
    await page.goto(`${server.url}/console/`);
    await page.getByLabel('API key').fill('not-a-key-of-this-server');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That key is not accepted.').waitFor();
    await screenshot(page, 'login');
    await page.getByLabel('API key').fill(KEYS.acme.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Workflows', level: 1 }).waitFor();
    expect(await page.evaluate(() => Object.values((globalThis as unknown as { sessionStorage: Record<string, string> }).sessionStorage))).toEqual([
      KEYS.acme.key,
    ]);
    await page.close();
  });

  it('starts a brief from the form on its definition page and watches it complete live, on its page and in the list', async () => {
    const list = await open();
    await list.getByText('Live').waitFor();
    const page = await open('#/definitions');
    await page.getByRole('link', { name: 'Start a brief workflow' }).click();
    await page.getByLabel('Instructions').fill('Summarise the pilot in three sentences.');
    await page.getByLabel('Documents').fill(JSON.stringify(briefInput().documents));
    await page.getByLabel('Workflow id').fill('console-live');
    await page.getByRole('button', { name: 'Start workflow' }).click();
    await page.waitForURL(/#\/workflows\/console-live$/);
    await badge(page).filter({ hasText: 'running' }).waitFor({ timeout: 5_000 });
    await badge(page).filter({ hasText: 'completed' }).waitFor({ timeout: 30_000 });
    // The model's tokens streamed into the page as they came.
    expect((await page.locator('pre.stream').textContent())?.length).toBeGreaterThan(0);
    await page.locator('.timeline [data-type="WorkflowCompleted"]').waitFor();
    await page.locator('.final.current.status-completed').waitFor();
    await screenshot(page, 'workflow-completed');

    // The list, opened before the start and never reloaded, shows it arrive and finish.
    await list.locator('tr[data-id="console-live"][data-status="completed"]').waitFor({ timeout: 10_000 });
    const row = list.locator('tr[data-id="console-live"]');
    expect(await row.locator('td').nth(2).textContent()).toBe('brief v1');
    await eventually(async () => ((await row.locator('td').nth(5).textContent()) !== '' ? true : undefined), 'tokens in the row', 5_000);
    await screenshot(list, 'workflows');
    await list.close();
    await page.close();
  }, 60_000);

  it('escalates at the cap and takes a revision request with feedback from the form of the commands it accepts', async () => {
    const started = await server.call('POST', '/v1/workflows', {
      body: { definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id: 'console-esc' },
    });
    expect(started.status).toBe(201);
    const page = await open('#/workflows/console-esc');
    await badge(page).filter({ hasText: 'waiting' }).waitFor({ timeout: 30_000 });
    const { body: waiting } = await server.call('GET', '/v1/workflows/console-esc');
    const labels = { APPROVE: 'Approve', REJECT: 'Reject', REQUEST_REVISION: 'Request revision', CANCEL: 'Cancel workflow' } as Record<string, string>;
    const offered = await page.getByRole('group', { name: 'Commands it accepts now' }).getByRole('button').allTextContents();
    expect(offered).toEqual((waiting.accepts as string[]).map((type) => labels[type] ?? `Signal ${type}`));
    await page.locator('.node.current.status-waiting[data-step="review"]').waitFor();

    await page.getByRole('button', { name: 'Request revision' }).click();
    await page.getByRole('button', { name: 'Send request revision' }).click();
    expect(await page.locator('#cmd-REQUEST_REVISION-feedback-error').textContent()).toBe('Required');
    await screenshot(page, 'workflow-escalated');
    await page.getByLabel('Feedback').fill('Lead with the adoption figure.');
    await page.getByRole('button', { name: 'Send request revision' }).click();
    await page.getByText(/Request revision sent \(revision \d+\)/).waitFor();
    await badge(page).filter({ hasText: 'completed' }).waitFor({ timeout: 30_000 });
    const decision = page.locator('.timeline [data-type="HumanDecisionReceived"]');
    await decision.waitFor();
    expect(await decision.textContent()).toContain(`by ${KEYS.acme.id}`);
    expect(await decision.locator('.feedback').textContent()).toBe('Lead with the adoption figure.');
    await page.close();
  }, 60_000);

  it('travels in time: at the revision where the reviewer asked for changes it shows the draft reviewed then', async () => {
    const { body: history } = await server.call('GET', '/v1/workflows/console-live/history');
    const asked = (history.revisions as Array<{ revision: number; type: string }>).find((revision) => revision.type === 'RevisionRequested');
    expect(asked).toBeDefined();
    const { body: audit } = await server.call('GET', '/v1/workflows/console-live/audit');
    expect(audit.entries.find((entry: any) => entry.revision === asked!.revision)).toMatchObject({ type: 'RevisionRequested', sender: 'system' });
    const last = history.lastRevision as number;

    const page = await open('#/workflows/console-live');
    await page.getByRole('button', { name: `View at revision ${asked!.revision}`, exact: true }).click();
    const view = page.locator(`.travel-view[data-revision="${asked!.revision}"]`);
    await view.waitFor();
    expect(await view.locator('pre[data-step="draft"]').textContent()).toBe(FIRST_DRAFT);
    expect(await page.locator('output[for="travel-slider"]').textContent()).toBe(`revision ${asked!.revision} of ${last}`);
    await screenshot(page, 'time-travel');

    // The slider by keyboard: the last revision holds the revised draft, the first no output at all.
    await page.getByLabel('Revision', { exact: true }).focus();
    await page.keyboard.press('End');
    const revised = await page.locator(`.travel-view[data-revision="${last}"] pre[data-step="draft"]`).textContent();
    expect(revised).not.toBe(FIRST_DRAFT);
    expect(revised?.length).toBeGreaterThan(0);
    await page.keyboard.press('Home');
    await page.locator('.travel-view[data-revision="0"]').getByText('No step had an output yet.').waitFor();
    await page.close();
  }, 60_000);

  it("lists a parent's child workflows with their usage, each linked, and links a child back to its parent", async () => {
    const run = await server.call('POST', '/v1/workflows?wait=30', { body: { definition: 'digest', input: {}, id: 'console-family' } });
    expect(run.body).toMatchObject({ status: 'completed' });
    const { body: audit } = await server.call('GET', '/v1/workflows/console-family/audit');
    const children = audit.descendants as Array<{ workflowId: string }>;
    expect(children).toHaveLength(2);

    const page = await open('#/workflows/console-family');
    await page.getByRole('heading', { name: 'Child workflows', level: 2 }).waitFor();
    const rows = page.locator('table.children tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.evaluateAll((found) => found.map((row) => row.getAttribute('data-id')))).toEqual(children.map((child) => child.workflowId));
    expect(await rows.first().textContent()).toMatch(/summary.*completed.*\d+, \$/);
    expect(await page.locator('.children-total').textContent()).toMatch(/^2 in all: \d+ tokens, \$/);
    await screenshot(page, 'children');

    await rows.first().getByRole('link').click();
    await page.locator('#workflow-title', { hasText: children[0]!.workflowId }).waitFor();
    await page.getByRole('link', { name: 'console-family', exact: true }).click();
    await page.locator('#workflow-title', { hasText: 'console-family' }).waitFor();
    await page.close();
  }, 60_000);

  it("shows another tenant's key none of the first tenant's workflows", async () => {
    const other = await browser.newContext();
    try {
      const page = await other.newPage();
      await signIn(page, server.url, KEYS.globex.key);
      await page.getByText('0 workflows on page 1').waitFor();
      expect(await page.locator('tbody tr').count()).toBe(0);
      await page.goto(`${server.url}/console/#/workflows/console-live`);
      await page.getByText('No workflow "console-live" in your tenant.').waitFor();
      expect((await server.call('GET', '/v1/workflows/console-live/history', { key: KEYS.globex.key })).status).toBe(404);
      await screenshot(page, 'other-tenant');
    } finally {
      await other.close();
    }
  });

  it('has no serious accessibility violation on any page (axe-core)', async () => {
    const pages: Array<[string, string, string]> = [
      ['workflows', '#/', 'tbody tr'],
      ['workflow', '#/workflows/console-esc', '.timeline'],
      ['family', '#/workflows/console-family', 'table.children'],
      ['definitions', '#/definitions', '.card'],
      ['definition', '#/definitions/brief', '.graph'],
      ['metrics', '#/metrics', '.bars'],
    ];
    const found: Record<string, unknown> = {};
    const login = await context.newPage();
    await login.goto(`${server.url}/console/`);
    await login.getByLabel('API key').waitFor();
    found.login = await seriousViolations(login);
    await login.close();
    for (const [name, hash, ready] of pages) {
      const page = await open(hash);
      await page.locator(ready).first().waitFor();
      if (name === 'workflow') await page.getByRole('button', { name: 'View at revision 3', exact: true }).click();
      found[name] = await seriousViolations(page);
      await screenshot(page, `a11y-${name}`);
      await page.close();
    }
    expect(found).toEqual({ login: [], workflows: [], workflow: [], family: [], definitions: [], definition: [], metrics: [] });
  }, 90_000);

  it('needed nothing but its own server, and never put the key in a URL', () => {
    expect(requested.length).toBeGreaterThan(20);
    expect(requested.filter((url) => !url.startsWith(`${server.url}/`))).toEqual([]);
    expect(requested.filter((url) => url.includes(KEYS.acme.key) || url.includes(KEYS.globex.key))).toEqual([]);
    // The streams went through stream tokens.
    expect(requested.some((url) => /\/v1\/stream\?token=est1\./.test(url))).toBe(true);
    expect(requested.some((url) => /\/v1\/workflows\/console-[a-z]+\/stream\?token=est1\./.test(url))).toBe(true);
  });
});
