import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, afterEach, expect, it } from 'vitest';
import { killChildren, runEcl } from '../cli/cliHarness.js';
import { KEYS, briefInput, startTestServer, type TestServer } from './support/testServer.js';

let server: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  server = await startTestServer();
  env = { ECL_SERVER: server.url, ECL_API_KEY: KEYS.acme.key };
});
afterEach(() => killChildren());
afterAll(async () => {
  await server.stop();
});

it('ecl run --follow, send, status, list and audit go through the API when a server is named', async () => {
  const input = join(server.dir, 'input.json');
  writeFileSync(input, JSON.stringify(briefInput({ maxIterations: 1, onCap: 'escalate' })));

  const run = await runEcl(['run', 'brief', '--input', `@${input}`, '--id', 'cli-1', '--follow'], { cwd: server.dir, env });
  expect(run.stderr).toBe('');
  expect(run.stdout).toContain(`Server: ${server.url}`);
  expect(run.stdout).toMatch(/workflow\s+started\s+brief v1/);
  expect(run.stdout).toMatch(/review\s+#1\s+revise/);
  expect(run.stdout).toMatch(/Waiting for a person/);
  expect(run.code).toBe(1);
  // It went through the API: the workflow lives in acme's namespace of the server's store.
  expect(await server.store.readStream('ecl.workflow-acme:cli-1', { limit: 1 })).toHaveLength(1);

  // The same id without --input: the workflow there, where it is, with its recorded input; another definition's name is refused.
  const resumed = await runEcl(['run', 'brief', '--id', 'cli-1'], { cwd: server.dir, env });
  expect(resumed.stderr).toBe('');
  expect(resumed.code).toBe(1);
  // The same lines as in-process.
  expect(resumed.stdout).toMatch(
    /Resuming brief v1 at review\.waiting \(revision \d+\)\nWaiting for a person at review\.waiting \(cap\): APPROVE, REJECT, REQUEST_REVISION, CANCEL\n {2}e\.g\. ecl send cli-1 APPROVE --server /,
  );
  const otherDefinition = await runEcl(['run', 'serial3', '--id', 'cli-1'], { cwd: server.dir, env });
  expect(otherDefinition.code).toBe(2);
  expect(otherDefinition.stderr.trim()).toBe('Workflow cli-1 is a brief workflow, not serial3');

  const rejected = await runEcl(['send', 'cli-1', 'REQUEST_REVISION', '--data', '{}'], { cwd: server.dir, env });
  expect(rejected.code).toBe(2);
  expect(rejected.stderr).toMatch(/INVALID_EVENT_DATA[\s\S]*data\.feedback/);

  const sent = await runEcl(['send', 'cli-1', 'request_revision', '--data', '{"feedback":"Lead with adoption."}', '--follow'], { cwd: server.dir, env });
  expect(sent.stderr).toBe('');
  expect(sent.stdout).toMatch(/REQUEST_REVISION accepted: cli-1/);
  expect(sent.stdout).toMatch(/Completed cli-1 \(\d[\d,]* tokens, \$\d+\.\d{4}\)/);
  expect(sent.code).toBe(0);

  const again = await runEcl(['run', 'brief', '--id', 'cli-1'], { cwd: server.dir, env });
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toMatch(/Already completed: brief v1 \(revision \d+\)\nCompleted cli-1/);

  const status = await runEcl(['status', 'cli-1'], { cwd: server.dir, env });
  expect(status.stdout).toMatch(/^cli-1\s+brief v1\s+completed/);
  const list = await runEcl(['list', '--json'], { cwd: server.dir, env });
  expect((JSON.parse(list.stdout) as { items: Array<{ workflowId: string }> }).items.map((item) => item.workflowId)).toEqual(['cli-1']);
  const audit = await runEcl(['audit', 'cli-1', '--json'], { cwd: server.dir, env });
  const { workflowId, entries, descendants } = JSON.parse(audit.stdout) as {
    workflowId: string;
    entries: Array<{ type: string; sender: string }>;
    descendants: unknown[];
  };
  expect([workflowId, descendants]).toEqual(['cli-1', []]);
  expect(entries.find((entry) => entry.type === 'HumanDecisionReceived')?.sender).toBe(KEYS.acme.id);

  const other = await runEcl(['status', 'cli-1'], { cwd: server.dir, env: { ...env, ECL_API_KEY: KEYS.globex.key } });
  expect(other.code).toBe(1);
  expect(other.stderr).toMatch(/WORKFLOW_NOT_FOUND/);
  const unauthorized = await runEcl(['list'], { cwd: server.dir, env: { ...env, ECL_API_KEY: 'nope-nope' } });
  expect(unauthorized.code).toBe(1);
  expect(unauthorized.stderr).toMatch(/UNAUTHORIZED/);
});
