import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsumerProject, createConsumerProject } from '../package/support/consumerProject.js';
import { packedPackage } from '../package/support/packedPackage.js';
import { killStarted, type StartedProcess, waitForOutput } from '../package/support/processes.js';
import { chromiumPresent, launchChromium, screenshot } from './support/consoleBrowser.js';

// Issue 17: the console ships in the package. The packed package, installed outside the repo,
// serves it from its own dist/ (no repository, no build step, no network), and Chromium renders it.

let project: ConsumerProject;
let serve: StartedProcess;
let url: string;

beforeAll(async () => {
  const { tarball, files } = await packedPackage();
  expect(files.map((file) => file.path)).toEqual(
    expect.arrayContaining(['dist/console/assets/index.html', 'dist/console/assets/app.js', 'dist/console/assets/app.css']),
  );
  project = await createConsumerProject({ name: 'console', packageJson: { name: 'console-user', private: true, type: 'module' }, dependencies: [tarball] });
  serve = project.startEcl(['serve', '--port', '0', '--store', 'memory:']);
  await waitForOutput(() => /Recovered: /.test(serve.stdout()), serve, 'the serve banner');
  url = /ECL API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(serve.stdout())![1]!;
}, 400_000);

afterAll(() => {
  if (serve !== undefined && serve.child.exitCode === null) process.kill(serve.child.pid!, 'SIGTERM');
  killStarted();
  project?.cleanup();
});

describe('the console of the installed package', () => {
  it('is announced in the banner and served from the package, gzipped', async () => {
    expect(serve.stdout()).toContain(`Console: ${url}/console/`);
    const page = await fetch(`${url}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/console/app.js');
    const script = await fetch(`${url}/console/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect((await script.text()).length).toBeGreaterThan(10_000);
  });

  describe.skipIf(!chromiumPresent)('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => browser?.close());

    it('renders the workflows page (open mode: no key asked for)', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${url}/`);
      await page.getByRole('heading', { name: 'Workflows', level: 1 }).waitFor();
      await page.getByText('0 workflows on page 1').waitFor();
      await screenshot(page, 'installed-package');
      expect(errors).toEqual([]);
      await page.close();
    });
  });
});
