import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type EngineCommand, RetryableError, defineWorkflow } from 'ecl-workflows';
import { createTestEngine, replayHistories } from 'ecl-workflows/testing';

/**
 * Issue 13 / DESIGN rule 6: a bad signal or command is refused with a clear code and leaves the
 * stream byte-for-byte as it was, whatever the workflow is doing — in a retry's backoff, asleep,
 * waiting for its signal, or finished. A refused signal is not kept for later either.
 */
const timed = defineWorkflow({
  name: 'timed',
  version: 1,
  input: z.object({}),
  steps: [
    {
      kind: 'produce',
      name: 'fetch',
      retry: { maxAttempts: 2, initialDelayMs: 10_000, maxDelayMs: 10_000 },
      run: async (ctx) => {
        if (ctx.attempt === 1) throw new RetryableError('busy');
        return 'fetched';
      },
    },
    { kind: 'sleep', name: 'nap', for: 60_000 },
    { kind: 'signal', name: 'ok', signal: 'go', schema: z.object({ again: z.boolean() }), timeoutMs: 3_600_000 },
    { kind: 'produce', name: 'finish', run: async (ctx) => ({ ok: ctx.outputs.ok ?? null }) },
  ],
});

const bytes = (records: unknown): string => JSON.stringify(records, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
const turns = async (count = 20): Promise<void> => {
  for (let index = 0; index < count; index++) await new Promise((resolve) => setImmediate(resolve));
};

/** Every kind of bad input, with the codes it may be refused with. */
const BAD: [string, unknown, string[]][] = [
  ['signal data its schema refuses', { type: 'go', data: { again: 'yes' } }, ['INVALID_COMMAND', 'COMMAND_NOT_ALLOWED']],
  ['signal without data', { type: 'go' }, ['INVALID_COMMAND', 'COMMAND_NOT_ALLOWED']],
  ['signal data that is not an object', { type: 'go', data: 'yes' }, ['INVALID_COMMAND', 'COMMAND_NOT_ALLOWED']],
  ['a signal the workflow does not know', { type: 'went', data: { again: true } }, ['COMMAND_NOT_ALLOWED', 'UNKNOWN_COMMAND']],
  ['an unknown command', { type: 'NOT_A_COMMAND' }, ['UNKNOWN_COMMAND']],
  ['APPROVE with no gate', { type: 'APPROVE' }, ['COMMAND_NOT_ALLOWED']],
  ['REQUEST_REVISION with no gate', { type: 'REQUEST_REVISION', feedback: 'again' }, ['COMMAND_NOT_ALLOWED']],
  ['CANCEL with a reason that is not text', { type: 'CANCEL', reason: 5 }, ['INVALID_COMMAND']],
  ['CANCEL with a misspelled field', { type: 'CANCEL', reasons: 'done' }, ['INVALID_COMMAND']],
  ['CANCEL with its fields in data, as HTTP sends them', { type: 'CANCEL', data: { reason: 'done' } }, ['INVALID_COMMAND']],
  ['a signal with a field beside its data', { type: 'go', data: { again: true }, note: 'x' }, ['INVALID_COMMAND']],
  ['no type', { data: { again: true } }, ['INVALID_COMMAND', 'UNKNOWN_COMMAND']],
  ['not an object', 'go', ['INVALID_COMMAND', 'UNKNOWN_COMMAND']],
  ['null', null, ['INVALID_COMMAND', 'UNKNOWN_COMMAND']],
];

describe('refused signals and commands change nothing, in every phase of a timed workflow', () => {
  it('in the backoff, asleep, waiting and finished: each refusal has its code and the stream stays byte-for-byte the same', async () => {
    const t = createTestEngine({ definitions: [timed] });
    await t.engine.start(timed, {}, { id: 'w1' });
    await turns();
    const phases: string[] = [];
    /** Sends every bad input (and a valid signal when the workflow does not wait for it) and checks nothing moved. */
    const refuseAll = async (extra: [string, unknown, string[]][] = []): Promise<void> => {
      const view = await t.engine.get('w1');
      phases.push(view?.state ?? 'none');
      const before = bytes(await t.history('w1'));
      for (const [what, command, codes] of [...BAD, ...extra]) {
        const result = await t.engine.send('w1', command as EngineCommand);
        expect(result.accepted, `${what} at ${view?.state}`).toBe(false);
        if (!result.accepted) {
          expect(codes, `${what} at ${view?.state}: ${result.code} ${result.message}`).toContain(result.code);
          expect(result.message.length).toBeGreaterThan(0);
        }
        await turns(3);
        expect(bytes(await t.history('w1')), `${what} at ${view?.state}`).toBe(before);
      }
      expect(await t.engine.get('w1')).toMatchObject({ state: view?.state, revision: view?.revision });
    };
    const early: [string, unknown, string[]] = ['the right signal before its step', { type: 'go', data: { again: true } }, ['COMMAND_NOT_ALLOWED']];

    // 1. The first attempt failed; the retry is due in 10 s.
    expect(await t.engine.get('w1')).toMatchObject({ state: 'fetch.running', wakeAt: '2030-01-01T00:00:10.000Z' });
    await refuseAll([early]);
    // 2. Asleep until a minute after the retry.
    await t.clock.advance(10_000);
    await turns();
    expect(await t.engine.get('w1')).toMatchObject({ state: 'nap.sleeping', wakeAt: '2030-01-01T00:01:10.000Z' });
    await refuseAll([early]);
    // 3. Waiting for `go`: the signals sent early were not kept, so it still waits.
    await t.clock.advance(60_000);
    await turns();
    expect(await t.engine.get('w1')).toMatchObject({ status: 'waiting', state: 'ok.waiting', accepts: ['go', 'CANCEL'] });
    await refuseAll();
    // 4. The valid signal goes through; then the finished workflow refuses everything, CANCEL included.
    expect(await t.send('w1', { type: 'go', data: { again: false } })).toMatchObject({ status: 'completed', output: { ok: { again: false } } });
    await refuseAll([
      ['CANCEL once finished', { type: 'CANCEL', reason: 'late' }, ['COMMAND_NOT_ALLOWED']],
      ['the signal again', { type: 'go', data: { again: true } }, ['COMMAND_NOT_ALLOWED']],
    ]);
    expect(phases).toEqual(['fetch.running', 'nap.sleeping', 'ok.waiting', 'completed']);
    expect((await t.history('w1')).filter((event) => event.type === 'SignalReceived')).toHaveLength(1);
    await replayHistories([timed], [{ workflowId: 'w1', events: await t.history('w1') }]);

    // A command to a workflow that does not exist creates no stream.
    expect(await t.engine.send('nobody', { type: 'go', data: { again: true } })).toMatchObject({ accepted: false, code: 'WORKFLOW_NOT_FOUND' });
    expect(await t.history('nobody')).toEqual([]);
    await t.close();
  });
});
