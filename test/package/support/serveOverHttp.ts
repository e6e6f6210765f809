import type { ConsumerProject } from './consumerProject.js';
import { type ProcessResult, waitForOutput } from './processes.js';

export interface HttpRun {
  /** POST /v1/workflows status: 201 created, 200 already there. */
  created: number;
  /** The last GET /v1/workflows/:id body. */
  view: { status: string; output?: unknown; [key: string]: unknown };
  serve: ProcessResult;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'waiting']);

/**
 * `ecl serve --port 0` in the project, then POST the workflow and poll its status until it ends or
 * waits; stops the server with SIGTERM (by pid) and returns what it printed.
 */
export async function runOverHttp(
  project: ConsumerProject,
  serveArgs: readonly string[],
  start: { definition: string; input: unknown; id: string },
): Promise<HttpRun> {
  const server = project.startEcl(['serve', '--port', '0', ...serveArgs]);
  try {
    await waitForOutput(() => /Recovered: /.test(server.stdout()), server, 'the serve banner');
    const url = /ECL API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout())?.[1];
    if (url === undefined) throw new Error(`No URL in the banner:\n${server.stdout()}`);
    const posted = await fetch(`${url}/v1/workflows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(start) });
    await posted.text();
    let view: HttpRun['view'] = { status: 'unknown' };
    for (const started = Date.now(); !TERMINAL.has(view.status);) {
      if (Date.now() - started > 30_000)
        throw new Error(`${start.id} did not finish over HTTP: ${JSON.stringify(view)}\n${server.stdout()}\n${server.stderr()}`);
      const response = await fetch(`${url}/v1/workflows/${encodeURIComponent(start.id)}`);
      view = (await response.json()) as HttpRun['view'];
      if (!TERMINAL.has(view.status)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    process.kill(server.child.pid!, 'SIGTERM');
    return { created: posted.status, view, serve: await server.done };
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) process.kill(server.child.pid!, 'SIGKILL');
  }
}
