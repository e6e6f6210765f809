import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openEventStore, workflowStream } from '../../src/eventstore/index.js';
import { killChildren, runEcl, startEcl, tempFolder, waitFor } from './cliHarness.js';

const folders: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of folders.splice(0)) cleanup();
});

interface LoggedCall {
  step: string;
  iteration: number;
  attempt: number;
}

it('survives SIGKILL while the second step waits for the model: the same id resumes, nothing completed runs twice', async () => {
  const { dir, cleanup } = tempFolder();
  folders.push(cleanup);
  const script = join(dir, 'script.json');
  const calls = join(dir, 'calls.jsonl');
  const input = join(dir, 'input.json');
  // draft (the second step) hangs on its first attempt; everything else is answered by the offline model.
  writeFileSync(
    script,
    JSON.stringify({ steps: { draft: [{ iteration: 1, attempt: 1, text: 'never answered', holdMs: 'untilAborted' }] }, fallback: 'offline' }),
  );
  writeFileSync(
    input,
    JSON.stringify({
      instructions: 'Summarise the pilot.',
      documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent.' }],
    }),
  );
  const args = [
    'run',
    'brief',
    '--input',
    `@${input}`,
    '--id',
    'crash-1',
    '--store',
    `sqlite:${join(dir, 'ecl.db')}`,
    '--llm',
    `script:${script}`,
    '--artifacts',
    join(dir, 'artifacts'),
    '--follow',
  ];
  const env = { ECL_SCRIPT_CALL_LOG: calls };
  const readCalls = (): LoggedCall[] =>
    existsSync(calls)
      ? readFileSync(calls, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as LoggedCall)
      : [];

  const first = startEcl(args, { cwd: dir, env });
  await waitFor(() => readCalls().some((call) => call.step === 'draft'), first.child, 'the held draft call');
  // The call log is a file the test reads at once; the child's stdout comes through a pipe, maybe a moment later.
  await waitFor(() => /draft\s+#1\s+started/.test(first.output()), first.child, 'the draft shown as started');
  process.kill(first.child.pid as number, 'SIGKILL');
  const killed = await first.done;
  expect(killed.signal).toBe('SIGKILL');

  const second = await runEcl(args, { cwd: dir, env });
  expect(second.stderr).toBe('');
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/Resuming brief v1 at draft\.running/);
  expect(second.stdout).toMatch(/draft\s+#1\s+started\s+attempt 2/);
  expect(second.stdout).toMatch(/Artifact: .*crash-1\/brief\.md/);

  const store = await openEventStore(`sqlite:${join(dir, 'ecl.db')}`);
  try {
    const records = await store.readStream(workflowStream('crash-1'));
    const completed = records.filter((record) => record.type === 'StepCompleted').map((record) => record.data as { step: string; iteration: number });
    const keys = completed.map((data) => `${data.step}/${data.iteration}`);
    expect(keys).toEqual(['extract/1', 'draft/1', 'review/1', 'draft/2', 'review/2', 'load/1']);
    expect(new Set(keys).size).toBe(keys.length);
    const draftStarts = records
      .filter((record) => record.type === 'StepStarted' && (record.data as { step: string }).step === 'draft')
      .map((record) => record.data as { iteration: number; attempt: number });
    expect(draftStarts.map((data) => `${data.iteration}#${data.attempt}`)).toEqual(['1#1', '1#2', '2#1']);
    expect(records.at(-1)?.type).toBe('WorkflowCompleted');
  } finally {
    await store.close();
  }

  // The model saw each completed call once, and only the interrupted call twice.
  const seen = readCalls().map((call) => `${call.step}/${call.iteration}#${call.attempt}`);
  expect(seen).toEqual(['extract/1#1', 'draft/1#1', 'draft/1#2', 'review/1#1', 'draft/2#1', 'review/2#1']);
});
