import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workflowStream } from '../../src/eventstore/index.js';
import { killChildren, runEcl, startEcl, tempFolder, waitFor } from '../cli/cliHarness.js';
import { startFakeKurrentDbServer, type FakeKurrentDbServer } from './support/fakeKurrentDbServer.js';

interface LoggedCall {
  step: string;
  iteration: number;
  attempt: number;
}

describe('`ecl run brief` end to end on the gRPC test server (not a real KurrentDB)', () => {
  let server: FakeKurrentDbServer;
  let dir: string;
  let cleanup: () => void;

  beforeEach(async () => {
    server = await startFakeKurrentDbServer();
    ({ dir, cleanup } = tempFolder());
  });
  afterEach(async () => {
    killChildren();
    await server.close();
    cleanup();
  });

  const setUp = (draftHold: number | 'untilAborted') => {
    const script = join(dir, 'script.json');
    const calls = join(dir, 'calls.jsonl');
    const input = join(dir, 'input.json');
    writeFileSync(script, JSON.stringify({ steps: { draft: [{ iteration: 1, attempt: 1, text: 'A held draft.', holdMs: draftHold }] }, fallback: 'offline' }));
    writeFileSync(
      input,
      JSON.stringify({
        instructions: 'Summarise the pilot.',
        documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent.' }],
      }),
    );
    const args = (id: string) => [
      'run',
      'brief',
      '--input',
      `@${input}`,
      '--id',
      id,
      '--store',
      server.url,
      '--llm',
      `script:${script}`,
      '--artifacts',
      join(dir, 'artifacts'),
      '--follow',
    ];
    const readCalls = (): LoggedCall[] =>
      existsSync(calls)
        ? readFileSync(calls, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as LoggedCall)
        : [];
    return { args, env: { ECL_SCRIPT_CALL_LOG: calls }, readCalls };
  };

  /** What KurrentDB (here the test server) holds for a workflow: each step completed once, in order. */
  const completedSteps = (id: string) =>
    (server.log.stream(workflowStream(id)) ?? [])
      .filter((event) => event.type === 'StepCompleted')
      .map((event) => JSON.parse(Buffer.from(event.data).toString('utf8')) as { step: string; iteration: number })
      .map((data) => `${data.step}/${data.iteration}`);

  it('survives SIGKILL of ECL mid-run: the same id resumes from KurrentDB and nothing completed runs twice', async () => {
    const { args, env, readCalls } = setUp('untilAborted');
    const first = startEcl(args('restart-1'), { cwd: dir, env });
    await waitFor(() => readCalls().some((call) => call.step === 'draft'), first.child, 'the held draft call');
    expect(first.output()).toContain('Store: KurrentDB at kurrentdb://127.0.0.1:');
    process.kill(first.child.pid as number, 'SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');

    const second = await runEcl(args('restart-1'), { cwd: dir, env });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Resuming brief v1 at draft\.running/);
    expect(second.stdout).toMatch(/Artifact: .*restart-1\/brief\.md/);

    expect(completedSteps('restart-1')).toEqual(['extract/1', 'draft/1', 'review/1', 'draft/2', 'review/2', 'load/1']);
    expect(server.log.stream(workflowStream('restart-1'))?.at(-1)?.type).toBe('WorkflowCompleted');
    expect(readCalls().map((call) => `${call.step}/${call.iteration}#${call.attempt}`)).toEqual([
      'extract/1#1',
      'draft/1#1',
      'draft/1#2',
      'review/1#1',
      'draft/2#1',
      'review/2#1',
    ]);
  });

  it('finishes a run whose KurrentDB connections are cut while a step waits for the model', async () => {
    const { args, env, readCalls } = setUp(1_000);
    const run = startEcl(args('cut-1'), { cwd: dir, env });
    await waitFor(() => readCalls().some((call) => call.step === 'draft'), run.child, 'the held draft call');
    const appendStreams = server.calls.get('BatchAppend') ?? 0;
    server.dropConnections();

    const done = await run.done;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(completedSteps('cut-1')).toEqual(['extract/1', 'draft/1', 'review/1', 'draft/2', 'review/2', 'load/1']);
    // The cut really broke ECL's batch-append stream: later appends came through a new one.
    expect(server.calls.get('BatchAppend') ?? 0).toBeGreaterThan(appendStreams);
  });
});
