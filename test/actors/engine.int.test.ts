import { Writable } from 'node:stream';
import { filter, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import winston from 'winston';
import { type EngineCommand, type EngineEvent, isEngineError } from '../../src/actors/index.js';
import { type EventStore, createMemoryEventStore, workflowStream } from '../../src/eventstore/index.js';
import { createFolder } from '../../src/machines/index.js';
import { brief } from '../support/definitions.js';
import { briefInput, createHarness, eventually, sequentialIds, types } from './support/harness.js';

describe('engine on the memory store', () => {
  it('runs brief with the offline model: one revision, then approval, then the brief is loaded', async () => {
    const h = createHarness();
    await h.engine.start('brief', briefInput(), { id: 'b1' });
    const view = await h.engine.settled('b1');
    expect(view.status).toBe('completed');
    const events = await h.events('b1');
    expect(types(events)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'CallCompleted',
      'StepCompleted', // extract: its model call, journaled, then the outcome
      'StepStarted',
      'CallCompleted',
      'StepCompleted', // draft 1
      'StepStarted',
      'CallCompleted',
      'StepCompleted', // review 1: revise
      'RevisionRequested',
      'StepStarted',
      'CallCompleted',
      'StepCompleted', // draft 2
      'StepStarted',
      'CallCompleted',
      'StepCompleted', // review 2: approve
      'StepStarted',
      'StepCompleted', // load (no journaled call)
      'WorkflowCompleted',
    ]);
    // Each model call's outcome is its own event, named `complete#1` by default, with its accounting; the step's outcome totals it.
    const calls = events.filter((event) => event.type === 'CallCompleted');
    expect(calls.map((event) => event.type === 'CallCompleted' && `${event.data.step}/${event.data.iteration} ${event.data.call} #${event.data.seq}`)).toEqual([
      'extract/1 complete#1 #0',
      'draft/1 complete#1 #0',
      'review/1 complete#1 #0',
      'draft/2 complete#1 #0',
      'review/2 complete#1 #0',
    ]);
    for (const [index, call] of calls.entries()) {
      const outcome = events[events.indexOf(call) + 1];
      expect(call.type === 'CallCompleted' && outcome?.type === 'StepCompleted' && call.data.llm, `call ${index}`).toEqual(
        outcome?.type === 'StepCompleted' && outcome.data.llm,
      );
    }
    const completed = events.at(-1);
    expect(completed?.type === 'WorkflowCompleted' && completed.data.artifact?.path).toBe('memory:b1/brief.md');
    expect(h.artifacts.files.get('b1/brief.md')).toContain('iteration 2');
    const review = events.filter((event) => event.type === 'StepCompleted' && event.data.step === 'review');
    expect(review.map((event) => event.type === 'StepCompleted' && event.data.llm?.model)).toEqual(['ecl-offline-1', 'ecl-offline-1']);
    expect(h.llm.calls.map((call) => `${call.step}/${call.iteration}`)).toEqual(['extract/1', 'draft/1', 'review/1', 'draft/2', 'review/2']);
  });

  it('appends each step outcome, its decisions and the next StepStarted in one append', async () => {
    const h = createHarness();
    await h.engine.start('serial3', {}, { id: 's1' });
    await h.engine.settled('s1');
    const records = await h.store.readStream(workflowStream('s1'));
    expect(records.map((record) => record.type)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'StepCompleted',
      'StepStarted',
      'StepCompleted',
      'StepStarted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    // One commit per pair: positions in the memory store are per event, the `at` metadata per commit.
    expect(new Set(records.map((record) => record.metadata.$causationId)).size).toBe(records.length);
  });

  it('records metadata on every event: correlation, causation chain, sender, time, step, state', async () => {
    const h = createHarness({ engine: { newId: sequentialIds() } });
    await h.engine.start('serial3', {}, { id: 's1', sender: 'key-1', commandId: '00000000-0000-4000-8000-00000000ffff', tenant: 'acme' });
    await h.engine.settled('s1');
    const records = await h.store.readStream(workflowStream('s1'));
    expect(records[0]?.metadata).toEqual({
      $correlationId: 's1',
      $causationId: '00000000-0000-4000-8000-00000000ffff',
      workflowId: 's1',
      tenant: 'acme',
      definition: 'serial3',
      version: 1,
      sender: 'key-1',
      at: '2030-01-01T00:00:00.000Z',
      state: '{"one":"pending"}',
    });
    records.slice(1).forEach((record, index) => {
      expect(record.metadata.$causationId).toBe(records[index]?.id);
      expect(record.metadata.$correlationId).toBe('s1');
      expect(record.metadata.tenant).toBe('acme');
    });
    expect(records[1]?.metadata).toMatchObject({ step: 'one', iteration: 1, attempt: 1, sender: 'system' });
    expect(records.at(-1)?.metadata.state).toBe('"completed"');
    expect(records[2]?.metadata.state).toBe('{"one":"done"}');
  });

  it('logs lifecycle events at info and every other event at debug, each with workflowId and revision', async () => {
    const logged = (level: string) => {
      const entries: Record<string, unknown>[] = [];
      const logger = winston.createLogger({
        level,
        transports: [
          new winston.transports.Stream({ stream: new Writable({ objectMode: true, write: (entry, _encoding, done) => done(void entries.push(entry)) }) }),
        ],
      });
      return { entries, logger };
    };
    const info = logged('info');
    const debug = logged('debug');
    for (const [id, { logger }] of [
      ['s-info', info],
      ['s-debug', debug],
    ] as const) {
      const h = createHarness({ engine: { logger } });
      await h.engine.start('serial3', {}, { id });
      await h.engine.settled(id);
    }
    await eventually(() => info.entries.length >= 2 && debug.entries.length >= 8);
    expect(info.entries.map((entry) => [entry.level, entry.message, entry.revision])).toEqual([
      ['info', 'WorkflowStarted', 0],
      ['info', 'WorkflowCompleted', 7],
    ]);
    expect(info.entries[0]).toMatchObject({ workflowId: 's-info' });
    expect(debug.entries.map((entry) => entry.message)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'StepCompleted',
      'StepStarted',
      'StepCompleted',
      'StepStarted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    expect(debug.entries[1]).toMatchObject({ level: 'debug', workflowId: 's-debug', revision: 1, step: 'one', iteration: 1, attempt: 1 });
  });

  it('publishes every recorded transition, in order, after it is appended', async () => {
    const h = createHarness();
    const seen = firstValueFrom(
      h.engine.subscribe('s1').pipe(
        filter((event) => event.kind === 'transition'),
        take(8),
        toArray(),
      ),
    );
    await h.engine.start('serial3', {}, { id: 's1' });
    const transitions = (await seen) as (EngineEvent & { kind: 'transition' })[];
    expect(transitions.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(transitions.at(-1)).toMatchObject({ kind: 'transition', state: 'completed', status: 'completed' });
    const stored = await h.store.readStream(workflowStream('s1'));
    expect(transitions.map((event) => event.eventId)).toEqual(stored.map((record) => record.id));
  });

  it("a workflow's feed completes after its terminal transition: lastValueFrom resolves to it (completed, and cancelled while waiting)", async () => {
    const h = createHarness();
    const last = lastValueFrom(h.engine.subscribe('s2'));
    await h.engine.start('serial3', {}, { id: 's2' });
    expect(await last).toMatchObject({ kind: 'transition', revision: 7, event: { type: 'WorkflowCompleted' } });

    const cancelled = lastValueFrom(h.engine.subscribe('b2').pipe(toArray()));
    await h.engine.start('brief', briefInput({ maxIterations: 1, onCap: 'escalate' }), { id: 'b2' });
    expect((await h.engine.settled('b2')).status).toBe('waiting');
    await h.engine.send('b2', { type: 'CANCEL', reason: 'no longer needed' });
    const events = await cancelled;
    expect(events.at(-1)).toMatchObject({ kind: 'transition', event: { type: 'WorkflowCancelled' } });
    expect(events.filter((event) => event.kind === 'delta').length).toBeGreaterThan(0);
  });

  it('streams live token deltas to subscribers as their own kind, never into the stream', async () => {
    const h = createHarness();
    const deltas: string[] = [];
    const subscription = h.engine.feed.subscribe((event) => {
      if (event.kind === 'delta') deltas.push(event.step);
    });
    await h.engine.start('brief', briefInput(), { id: 'b1' });
    await h.engine.settled('b1');
    subscription.unsubscribe();
    expect(new Set(deltas)).toEqual(new Set(['extract', 'draft', 'review']));
  });

  describe('idempotent start', () => {
    it('the same id and input return the existing workflow and append nothing', async () => {
      const h = createHarness();
      await h.engine.start('brief', briefInput(), { id: 'b1' });
      await h.engine.settled('b1');
      const before = await h.raw('b1');
      const again = await h.engine.start('brief', { ...briefInput(), maxIterations: 3 }, { id: 'b1' });
      expect(again).toMatchObject({ workflowId: 'b1', created: false, view: { status: 'completed' } });
      expect(await h.raw('b1')).toBe(before);
    });

    it('the same id with another input is a conflict with a code, and changes nothing', async () => {
      const h = createHarness();
      await h.engine.start('brief', briefInput(), { id: 'b1' });
      await h.engine.settled('b1');
      const before = await h.raw('b1');
      const error = await h.engine.start('brief', briefInput({ instructions: 'Something else' }), { id: 'b1' }).catch((caught: unknown) => caught);
      expect(isEngineError(error) && error.code).toBe('WORKFLOW_CONFLICT');
      const other = await h.engine.start('serial3', {}, { id: 'b1' }).catch((caught: unknown) => caught);
      expect(isEngineError(other) && other.message).toMatch(/already exists with definition brief/);
      expect(await h.raw('b1')).toBe(before);
    });

    it('concurrent starts with one id create one workflow', async () => {
      const h = createHarness();
      const results = await Promise.all([h.engine.start('serial3', {}, { id: 's1' }), h.engine.start('serial3', {}, { id: 's1' })]);
      expect(results.map((result) => result.created).sort()).toEqual([false, true]);
      await h.engine.settled('s1');
      expect(types(await h.events('s1')).filter((type) => type === 'WorkflowStarted')).toHaveLength(1);
    });
  });

  describe('bad input changes nothing', () => {
    it('invalid workflow input names the field, and writes nothing', async () => {
      const h = createHarness();
      const error = await h.engine
        .start('brief', { instructions: '', documents: [{ name: 'a' }], maxIterations: 11 }, { id: 'b1' })
        .catch((caught: unknown) => caught);
      expect(isEngineError(error) && error.code).toBe('INVALID_INPUT');
      const issues = isEngineError(error) ? error.issues.join('\n') : '';
      expect(issues).toMatch(/^instructions: /m);
      expect(issues).toMatch(/^documents\[0\]\.text: /m);
      expect(issues).toMatch(/^maxIterations: /m);
      expect(await h.store.headPosition()).toBeNull();
    });

    it('an unknown definition lists the known ones', async () => {
      const h = createHarness();
      const error = await h.engine.start('breif', {}).catch((caught: unknown) => caught);
      expect(isEngineError(error) && error.code).toBe('UNKNOWN_DEFINITION');
      expect((error as Error).message).toMatch(/Known: brief, serial3/);
      expect(await h.store.headPosition()).toBeNull();
    });

    it('unknown, invalid and not-allowed commands are rejected with the state and what it accepts; the stream is byte-for-byte unchanged', async () => {
      const h = createHarness({ script: { steps: { extract: [{ text: 'facts', holdMs: 'untilAborted' }] } } });
      await h.engine.start('brief', briefInput(), { id: 'b1' });
      const before = await h.raw('b1');
      // Untyped callers (JavaScript, a forwarded request) reach the run-time checks.
      expect(await h.engine.send('b1', { type: 'PUBLISH' } as unknown as EngineCommand)).toMatchObject({ accepted: false, code: 'UNKNOWN_COMMAND' });
      expect(await h.engine.send('b1', { type: 'REQUEST_REVISION', feedback: '' })).toMatchObject({
        accepted: false,
        code: 'INVALID_COMMAND',
        message: /feedback/,
      });
      expect(await h.engine.send('b1', { type: 'APPROVE' })).toEqual({
        accepted: false,
        workflowId: 'b1',
        code: 'COMMAND_NOT_ALLOWED',
        message: 'APPROVE is not allowed in state extract.running: it accepts CANCEL',
        state: 'extract.running',
        accepts: ['CANCEL'],
      });
      expect(await h.engine.send('nope', { type: 'APPROVE' })).toMatchObject({ accepted: false, code: 'WORKFLOW_NOT_FOUND' });
      expect(await h.raw('b1')).toBe(before);
      await h.engine.close();
    });
  });

  it('CANCEL aborts the call in flight through its AbortSignal, and its late outcome is never recorded', async () => {
    const h = createHarness({ script: { steps: { draft: [{ text: 'never', holdMs: 'untilAborted' }] }, fallback: 'offline' } });
    await h.engine.start('brief', briefInput(), { id: 'b1' });
    const call = await eventually(() => h.llm.calls.find((seen) => seen.step === 'draft'));
    expect(call?.signal?.aborted).toBe(false);
    const result = await h.engine.send('b1', { type: 'CANCEL', reason: 'not needed any more' }, { sender: 'key-7' });
    expect(result).toMatchObject({ accepted: true, event: { type: 'WorkflowCancelled' }, view: { status: 'cancelled' } });
    expect(call?.signal?.aborted).toBe(true);
    const view = await h.engine.settled('b1');
    expect(view).toMatchObject({ status: 'cancelled', reason: 'not needed any more' });
    const events = await h.events('b1');
    expect(types(events).slice(-2)).toEqual(['StepStarted', 'WorkflowCancelled']);
    const records = await h.store.readStream(workflowStream('b1'));
    expect(records.at(-1)?.metadata.sender).toBe('key-7');
  });

  it('a conflicting append (another writer) reloads and decides again instead of merging', async () => {
    const h = createHarness({ script: { steps: { review: [{ output: { verdict: 'approve', feedback: 'ok' } }] }, fallback: 'offline' } });
    await h.engine.start('brief', briefInput({ approval: true }), { id: 'b1' });
    expect(await h.engine.settled('b1')).toMatchObject({ status: 'waiting', state: 'approval.waiting' });
    const stream = workflowStream('b1');
    const head = (await h.store.readStream(stream)).length - 1;
    // Another process approves behind this engine's back.
    await h.store.append(
      stream,
      [
        {
          type: 'HumanDecisionReceived',
          data: { v: 1, step: 'approval', decision: 'approve' },
          metadata: { workflowId: 'b1', definition: 'brief', version: 1, sender: 'other', at: 'x' },
        },
        {
          type: 'StepStarted',
          data: { v: 1, step: 'load', iteration: 1, attempt: 1, idempotencyKey: 'b1/load/1' },
          metadata: { workflowId: 'b1', definition: 'brief', version: 1, sender: 'other', at: 'x' },
        },
      ],
      { expectedRevision: head },
    );
    const result = await h.engine.send('b1', { type: 'REJECT' });
    expect(result).toMatchObject({ accepted: false, code: 'COMMAND_NOT_ALLOWED', state: 'load.running' });
    expect((await h.store.readStream(stream)).length).toBe(head + 3);
  });

  it('passivated workflows rehydrate to exactly the live state, with or without a cached snapshot', async () => {
    for (const snapshotEvery of [1_000, 3]) {
      const h = createHarness({ engine: { snapshotEvery } });
      await h.engine.start('brief', briefInput({ maxIterations: 1 }), { id: 'b1' });
      const live = await h.engine.settled('b1');
      expect(live.state).toBe('review.waiting');
      expect(await h.engine.passivate()).toBe(1);
      expect(h.engine.liveCount()).toBe(0);
      const rehydrated = await h.engine.get('b1');
      expect(rehydrated?.value).toEqual(live.value);
      expect(rehydrated?.context).toEqual(live.context);
      expect(rehydrated?.revision).toBe(live.revision);
      const folded = createFolder(brief.machine).fold(await h.events('b1'));
      expect(folded.context).toEqual(live.context);
      expect(await h.engine.send('b1', { type: 'APPROVE' })).toMatchObject({ accepted: true });
      expect(await h.engine.settled('b1')).toMatchObject({ status: 'completed' });
    }
  });

  it('keeps at most maxIdleActors waiting workflows in memory; the rest come back on demand', async () => {
    const h = createHarness({ engine: { maxIdleActors: 2 } });
    for (const id of ['w1', 'w2', 'w3', 'w4']) {
      await h.engine.start('brief', briefInput({ maxIterations: 1 }), { id });
      await h.engine.settled(id);
    }
    expect(h.engine.liveCount()).toBe(2);
    expect(await h.engine.get('w1')).toMatchObject({ state: 'review.waiting' });
    expect(await h.engine.send('w1', { type: 'APPROVE' })).toMatchObject({ accepted: true });
    expect(await h.engine.settled('w1')).toMatchObject({ status: 'completed' });
  });

  it('runs many workflows concurrently, each stream with its own consistent history', async () => {
    const h = createHarness();
    const ids = Array.from({ length: 40 }, (_, index) => `s${index}`);
    await Promise.all(ids.map((id) => h.engine.start('serial3', {}, { id })));
    const views = await Promise.all(ids.map((id) => h.engine.settled(id)));
    expect(views.every((view) => view.status === 'completed')).toBe(true);
    for (const id of ids) expect(await h.events(id)).toHaveLength(8);
    expect(h.engine.liveCount()).toBe(0);
  });

  it('counts a workflow in flight until its step outcome is recorded, not only while the step runs', async () => {
    const base = createMemoryEventStore();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    // The first step's outcome reaches the store and waits there (a slow fsync, a busy disk).
    const store: EventStore = Object.assign(Object.create(base) as EventStore, {
      append: async (...args: Parameters<EventStore['append']>) => {
        if (args[1].some((event) => event.type === 'StepCompleted')) {
          holding = true;
          await held;
        }
        return base.append(...args);
      },
    });
    const h = createHarness({ store });
    await h.engine.start('serial3', {}, { id: 'held' });
    await eventually(() => (holding ? true : undefined));
    // The step has returned; its outcome (and the next StepStarted) is not in the log yet.
    expect(types(await h.events('held'))).toEqual(['WorkflowStarted', 'StepStarted']);
    expect(h.engine.inFlight()).toEqual(['held']);
    release();
    expect(await h.engine.settled('held')).toMatchObject({ status: 'completed' });
    expect(h.engine.inFlight()).toEqual([]);
  });

  it('close() refuses new work', async () => {
    const h = createHarness();
    await h.engine.close();
    const error = await h.engine.start('serial3', {}).catch((caught: unknown) => caught);
    expect(isEngineError(error) && error.code).toBe('ENGINE_CLOSED');
    expect(await h.engine.send('x', { type: 'APPROVE' })).toMatchObject({ accepted: false, code: 'ENGINE_CLOSED' });
  });
});
