// The sample's own tests, written as a user of the package writes them (run here by vitest).
import { readFileSync } from 'node:fs';
import { createEngine, createLogger, createRegistry, type LlmProvider, type LlmRequest } from 'ecl-workflows';
import {
  createMemoryArtifactStore,
  createMemoryEventStore,
  createScriptedProvider,
  createTestEngine,
  ev,
  replayHistories,
  workflowSpec,
  type LlmScript,
} from 'ecl-workflows/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { research } from './research.js';

const input = JSON.parse(readFileSync(new URL('./input.json', import.meta.url), 'utf8')) as { question: string; sources: { name: string; text: string }[] };

/** A model that remembers which journaled call each request was for (by step and prompt). */
function counting(inner: LlmProvider): LlmProvider & { seen: string[] } {
  const seen: string[] = [];
  return {
    name: inner.name,
    seen,
    complete<T>(request: LlmRequest<T>) {
      const source = /^## (\S+)/m.exec(request.messages[0]?.content ?? '')?.[1];
      seen.push(`${request.context.step}${request.context.step === 'gather' ? ` ${source}` : ''} #${request.context.attempt}`);
      return inner.complete(request);
    },
  };
}

describe('research', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(() => close?.());

  it('runs on the offline model: every fetch and model call is journaled, in order, and the history replays', async () => {
    const test = createTestEngine({ definitions: [research] });
    close = test.close;
    const view = await test.run('research', input, { id: 'r-1' });
    expect(view.status).toBe('completed');
    const history = await test.history('r-1');
    const calls = history
      .filter((event) => event.type === 'CallCompleted')
      .map((event) => event.data as { step: string; call: string; kind: string; seq: number });
    expect(calls.map((call) => `${call.step} ${call.seq} ${call.kind} ${call.call}`)).toEqual([
      'gather 0 run fetch pilot',
      'gather 1 complete notes pilot',
      'gather 2 run fetch survey',
      'gather 3 complete notes survey',
      'answer 0 complete answer',
    ]);
    // A fetch records the text it returned; the step's outcome totals its model calls.
    expect(history.find((event) => event.type === 'CallCompleted')?.data).toMatchObject({ output: input.sources[0]?.text });
    // replay --verify: the stream folds to the same states, every decision re-decided, no step or model run.
    expect(await replayHistories([research], [{ workflowId: 'r-1', events: history }])).toEqual([
      { workflowId: 'r-1', definition: 'research', version: 1, folded: history.length, finished: true },
    ]);
  });

  it('after a shutdown in the middle of gather, the next attempt replays the recorded calls and makes only the interrupted one again', async () => {
    // The model holds "notes survey" (gather's fourth call) on the first attempt until the engine shuts down.
    const script: LlmScript = {
      steps: {
        gather: [
          { attempt: 1, times: 1, text: 'notes on the pilot' },
          { attempt: 1, holdMs: 'untilAborted', text: 'never' },
        ],
      },
      fallback: 'offline',
    };
    const model = counting(createScriptedProvider({ script, env: {} }));
    const store = createMemoryEventStore();
    const options = {
      store,
      llm: model,
      artifacts: createMemoryArtifactStore(),
      logger: createLogger({ level: 'error' }),
      definitions: createRegistry([research]),
    };
    const first = createEngine(options);
    await first.start('research', input, { id: 'r-2' });
    while (!model.seen.includes('gather survey #1')) await new Promise((resolve) => setImmediate(resolve));
    await first.close();

    const second = createEngine(options);
    expect(await second.recover()).toMatchObject({ resumed: ['r-2'] });
    expect(await second.settled('r-2')).toMatchObject({ status: 'completed' });
    await second.close();
    // "notes pilot" was recorded on attempt 1: attempt 2 did not call the model for it again.
    expect(model.seen).toEqual(['gather pilot #1', 'gather survey #1', 'gather survey #2', 'answer #1']);
  });

  it('given fetch and notes recorded for the first source, when the step is resumed, then it runs again as attempt 2 with its journal', () => {
    const spec = workflowSpec(research);
    const resumed = spec
      .given(
        spec.started(input),
        ev.stepStarted('gather'),
        ev.callCompleted('gather', 1, 'fetch pilot', 0, { output: 'pilot text' }),
        ev.callCompleted('gather', 1, 'notes pilot', 1, { output: { text: 'notes' } }, 1, { kind: 'complete' }),
      )
      .whenResumed()
      .then([ev.stepStarted('gather', 1, 2)]);
    expect(resumed.snapshot.context.calls.map((call) => call.call)).toEqual(['fetch pilot', 'notes pilot']);
  });

  it('rejects sources with the same name: their calls would share a name', async () => {
    const test = createTestEngine({ definitions: [research] });
    close = test.close;
    const twice = {
      question: 'q',
      sources: [
        { name: 'a', text: 'x' },
        { name: 'a', text: 'y' },
      ],
    };
    await expect(test.run('research', twice)).rejects.toThrow(/source names must be unique/);
  });
});
