// The sample's own tests, written as a user of the package writes them (run here by vitest).
import { readFileSync } from 'node:fs';
import { createEngine, createLogger, createRegistry, type LlmProvider, type LlmRequest, type WorkflowEvent } from 'ecl-workflows';
import {
  createMemoryArtifactStore,
  createMemoryEventStore,
  createOfflineProvider,
  createTestEngine,
  ev,
  historiesOf,
  replayHistories,
  workflowSpec,
} from 'ecl-workflows/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { digest, digestInline, readDocument } from './fanout.js';

const input = JSON.parse(readFileSync(new URL('./input.json', import.meta.url), 'utf8')) as { question: string; documents: { name: string; text: string }[] };

type Started = Extract<WorkflowEvent, { type: 'WorkflowStarted' }>['data'];

describe('digest', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(() => close?.());

  it('runs on the offline model: one child workflow per document, each with its own steps, linked to its item; every history replays', async () => {
    const test = createTestEngine({ definitions: [digest, readDocument] });
    close = test.close;
    const view = await test.run('digest', input, { id: 'd-1' });
    expect(view.status).toBe('completed');
    expect(view.context.outputs.read).toHaveLength(4);
    expect((view.context.outputs.read as { document: string }[]).map((reading) => reading.document)).toEqual(['pilot', 'survey', 'incidents', 'costs']);

    const history = await test.history('d-1');
    const items = history.filter((event) => event.type === 'CallCompleted' && (event.data as { step: string }).step === 'read');
    expect(items.map((event) => (event.data as { call: string }).call).sort()).toEqual(['read/0', 'read/1', 'read/2', 'read/3']);

    // Each child's stream starts with the link to its parent's item, and ran its own two steps.
    const all = await test.store.readAll({ limit: 1_000 });
    const children = all
      .filter((record) => record.type === 'WorkflowStarted' && (record.data as Started).parent !== undefined)
      .map((record) => record.data as Started);
    expect(children.map((child) => child.parent?.call).sort()).toEqual(['read/0', 'read/1', 'read/2', 'read/3']);
    for (const child of children) {
      const events = await test.history(child.workflowId);
      const steps = events.filter((event) => event.type === 'StepCompleted').map((event) => (event.data as { step: string }).step);
      expect(steps).toEqual(['summarize', 'points']);
    }

    // replay --verify: every stream folds to the same states, with no model call.
    const histories = [{ workflowId: 'd-1', events: history }];
    for (const child of children) histories.push({ workflowId: child.workflowId, events: await test.history(child.workflowId) });
    expect(await replayHistories([digest, readDocument], histories)).toHaveLength(5);
  });

  it('after a shutdown in the middle of the fan-out, recovery finishes the same children and starts no new one', async () => {
    // The model holds the "survey" document's summary on the first attempt until the engine shuts down.
    const summaries: string[] = [];
    const offline = createOfflineProvider();
    const model: LlmProvider = {
      name: 'holding',
      async complete<T>(request: LlmRequest<T>) {
        const document = /^## (\S+)/.exec(request.messages[0]?.content ?? '')?.[1];
        if (request.context.step === 'summarize') summaries.push(`${document} #${request.context.attempt}`);
        if (document === 'survey' && request.context.attempt === 1)
          await new Promise((_resolve, reject) => request.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
        return offline.complete(request);
      },
    };
    const store = createMemoryEventStore();
    const options = {
      store,
      llm: model,
      artifacts: createMemoryArtifactStore(),
      logger: createLogger({ level: 'error' }),
      definitions: createRegistry([digest, readDocument]),
    };
    const first = createEngine(options);
    await first.start('digest', input, { id: 'd-2' });
    // Wait until the three other children finished (the survey's holds), then shut down.
    const finished = async () => (await store.readAll({ limit: 1_000 })).filter((record) => record.type === 'WorkflowCompleted').length;
    while ((await finished()) < 3) await new Promise((resolve) => setImmediate(resolve));
    await first.close();

    const second = createEngine(options);
    await second.recover();
    expect(await second.settled('d-2')).toMatchObject({ status: 'completed' });
    await second.close();
    const starts = (await store.readAll({ limit: 1_000 })).filter((record) => record.type === 'WorkflowStarted');
    // The parent and four children: no child was started twice; only the interrupted summary was asked again.
    expect(starts).toHaveLength(5);
    expect(summaries.filter((line) => line.startsWith('survey'))).toEqual(['survey #1', 'survey #2']);
    expect(summaries.filter((line) => !line.startsWith('survey')).sort()).toEqual(['costs #1', 'incidents #1', 'pilot #1']);
  });

  it('given two documents read before a crash, when the step is resumed, then it runs again as attempt 2 with their outcomes in its journal', () => {
    const spec = workflowSpec(digest);
    const resumed = spec
      .given(
        spec.started(input),
        ev.stepStarted('read'),
        ev.callCompleted('read', 1, 'read/2', 2, { output: { document: 'incidents', summary: 's', points: 'p' } }),
        ev.callCompleted('read', 1, 'read/0', 0, { output: { document: 'pilot', summary: 's', points: 'p' } }),
      )
      .whenResumed()
      .then([ev.stepStarted('read', 1, 2)]);
    // Only read/1 and read/3 will run (start or find their child) on attempt 2.
    expect(resumed.snapshot.context.calls.map((call) => `${call.call}@${call.seq}`)).toEqual(['read/2@2', 'read/0@0']);
  });
});

describe('digestInline', () => {
  it("after a shutdown while a document's second model call runs, recovery asks again only that call: its summary is replayed from the item's journal", async () => {
    // The model holds the "survey" document's points on the first attempt until the engine shuts down.
    const asked: string[] = [];
    const offline = createOfflineProvider();
    const model: LlmProvider = {
      name: 'holding',
      async complete<T>(request: LlmRequest<T>) {
        const { item, call, attempt } = request.context;
        asked.push(`${item}/${call} #${attempt}`);
        if (item === 'read/1' && call === 'points' && attempt === 1)
          await new Promise((_resolve, reject) => request.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
        return offline.complete(request);
      },
    };
    const store = createMemoryEventStore();
    const options = {
      store,
      llm: model,
      artifacts: createMemoryArtifactStore(),
      logger: createLogger({ level: 'error' }),
      definitions: createRegistry([digestInline]),
    };
    const first = createEngine(options);
    await first.start('digestInline', input, { id: 'i-1' });
    // Wait until the survey's points call is asked, and the other documents are read, then shut down.
    const items = async () =>
      (await store.readAll({ limit: 1_000 })).filter((record) => record.type === 'CallCompleted' && (record.data as { fanOut?: unknown }).fanOut !== undefined)
        .length;
    while (!asked.includes('read/1/points #1') || (await items()) < 3) await new Promise((resolve) => setImmediate(resolve));
    await first.close();

    const second = createEngine(options);
    await second.recover();
    const view = await second.settled('i-1');
    await second.close();
    expect(view.status).toBe('completed');
    expect((view.context.outputs.read as { document: string }[]).map((reading) => reading.document)).toEqual(['pilot', 'survey', 'incidents', 'costs']);
    // Every model call was asked once, but the interrupted one, asked again by attempt 2; the survey's summary was not.
    expect(asked.filter((line) => line.startsWith('read/1/'))).toEqual(['read/1/summary #1', 'read/1/points #1', 'read/1/points #2']);
    expect(asked.filter((line) => line.startsWith('read/') && !line.startsWith('read/1/'))).toHaveLength(6);
    // replay --verify of the recorded history, with no model call.
    expect(await replayHistories([digestInline], historiesOf(store))).toHaveLength(1);
  });
});
