import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStore, workflowStream, type EventStore } from '../../src/eventstore/index.js';
import type { WorkflowEventOf } from '../../src/machines/index.js';
import { replayHistories } from '../../src/testing/index.js';
import { crashDefinitions } from './support/fanOutCrashDefinitions.js';
import { childProcesses } from './support/childProcesses.js';

const children = childProcesses(join(import.meta.dirname, 'support', 'fanOutCrashChild.ts'));
const runChild = children.run;
const cleanups: (() => void)[] = [];

afterEach(() => {
  children.killAll();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'ecl-fanout-crash-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'runs.log');
  const lines = () =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
  return { store: join(dir, 'ecl.db'), log, lines };
}

async function withStore<T>(path: string, read: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await openEventStore(`sqlite:${path}`);
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

type CallData = WorkflowEventOf<'CallCompleted'>['data'];
type StartedData = WorkflowEventOf<'WorkflowStarted'>['data'];

describe('fan-out and child workflows under SIGKILL', () => {
  it('SIGKILL mid-fan-out with three items recorded: the same id resumes, only the two unfinished items run, each exactly once more', async () => {
    const { store, log, lines } = setUp();
    const input = JSON.stringify({ docs: ['a', 'b', 'c', 'd', 'e'] });
    await runChild([store, 'start', 'crashFan', 'fan-1', input, 'b#1,d#1', '3'], { ECL_TEST_LOG: log, ECL_TEST_HANG: 'b#1,d#1' }, 'READY', true);
    expect(await runChild([store, 'recover', 'fan-1'], { ECL_TEST_LOG: log }, 'DONE completed', false)).toContain('DONE completed');

    expect(lines().sort()).toEqual(['a#1', 'b#1', 'b#2', 'c#1', 'd#1', 'd#2', 'e#1']);
    await withStore(store, async (opened) => {
      const records = await opened.readStream(workflowStream('fan-1'));
      const calls = records.filter((record) => record.type === 'CallCompleted').map((record) => record.data as CallData);
      expect(calls.map((call) => `${call.call}@${call.seq}#${call.attempt}`).sort()).toEqual([
        'docs/0@0#1',
        'docs/1@1#2',
        'docs/2@2#1',
        'docs/3@3#2',
        'docs/4@4#1',
      ]);
      expect(records.find((record) => record.type === 'StepCompleted')?.data).toMatchObject({
        attempt: 2,
        output: ['a done', 'b done', 'c done', 'd done', 'e done'],
      });
      // replay --verify on the recorded history.
      expect(await replayHistories(crashDefinitions, [{ workflowId: 'fan-1', events: records }])).toHaveLength(1);
    });
  });

  it("SIGKILL in an item's third journaled call: the item's first two calls are not run again, the third runs exactly once more", async () => {
    const { store, log, lines } = setUp();
    const input = JSON.stringify({ docs: ['a', 'b', 'c'] });
    // Ready once b and c hang in their third call and a's item is recorded (a's three calls and its outcome, two calls each of b and c).
    await runChild(
      [store, 'start', 'crashItemCalls', 'calls-1', input, 'b.store#1,c.store#1', '8'],
      { ECL_TEST_LOG: log, ECL_TEST_HANG: 'b.store#1,c.store#1' },
      'READY',
      true,
    );
    expect(await runChild([store, 'recover', 'calls-1'], { ECL_TEST_LOG: log }, 'DONE completed', false)).toContain('DONE completed');

    expect(lines().sort()).toEqual(
      ['a.fetch#1', 'a.parse#1', 'a.store#1', 'b.fetch#1', 'b.parse#1', 'b.store#1', 'b.store#2', 'c.fetch#1', 'c.parse#1', 'c.store#1', 'c.store#2'].sort(),
    );
    await withStore(store, async (opened) => {
      const records = await opened.readStream(workflowStream('calls-1'));
      const calls = records.filter((record) => record.type === 'CallCompleted').map((record) => record.data as CallData);
      expect(calls.map((call) => `${call.item ?? ''}:${call.call}@${call.seq}#${call.attempt}`).sort()).toEqual(
        [
          'docs/0:fetch@0#1',
          'docs/0:parse@1#1',
          'docs/0:store@2#1',
          ':docs/0@0#1',
          'docs/1:fetch@0#1',
          'docs/1:parse@1#1',
          'docs/1:store@2#2',
          ':docs/1@1#2',
          'docs/2:fetch@0#1',
          'docs/2:parse@1#1',
          'docs/2:store@2#2',
          ':docs/2@2#2',
        ].sort(),
      );
      expect(records.find((record) => record.type === 'StepCompleted')?.data).toMatchObject({
        attempt: 2,
        output: ['fetch a, parse a, store a', 'fetch b, parse b, store b', 'fetch c, parse c, store c'],
      });
      expect(await replayHistories(crashDefinitions, [{ workflowId: 'calls-1', events: records }])).toHaveLength(1);
    });
  });

  it('SIGKILL after the child started: recovery finds the same child, never a second one, and the parent gets its output', async () => {
    const { store, log, lines } = setUp();
    await runChild(
      [store, 'start', 'crashParent', 'parent-1', JSON.stringify({ doc: 'x' }), 'leaf#1', '0'],
      { ECL_TEST_LOG: log, ECL_TEST_HANG: 'leaf#1' },
      'READY',
      true,
    );
    expect(await runChild([store, 'recover', 'parent-1'], { ECL_TEST_LOG: log }, 'DONE completed', false)).toContain('DONE completed');

    // The child's step was killed once and ran once more; the parent's step was run again as attempt 2 and found the child.
    expect(lines()).toEqual(['leaf#1', 'leaf#2']);
    await withStore(store, async (opened) => {
      const started = (await opened.readAll({ limit: 1_000 }))
        .filter((record) => record.type === 'WorkflowStarted')
        .map((record) => record.data as StartedData);
      const childIds = started.filter((data) => data.parent !== undefined).map((data) => data.workflowId);
      expect(childIds).toHaveLength(1);
      expect(started.find((data) => data.parent !== undefined)?.parent).toEqual({ workflowId: 'parent-1', step: 'delegate', call: 'leaf' });
      const parent = await opened.readStream(workflowStream('parent-1'));
      expect(parent.filter((record) => record.type === 'StepStarted').map((record) => (record.data as { attempt: number }).attempt)).toEqual([1, 2]);
      const calls = parent.filter((record) => record.type === 'CallCompleted').map((record) => record.data as CallData);
      expect(calls).toEqual([expect.objectContaining({ call: 'leaf', attempt: 2, output: { workflowId: childIds[0], output: 'leaf read x' } })]);
      expect(parent.at(-1)?.type).toBe('WorkflowCompleted');
      const child = await opened.readStream(workflowStream(childIds[0] as string));
      expect(
        await replayHistories(crashDefinitions, [
          { workflowId: 'parent-1', events: parent },
          { workflowId: childIds[0] as string, events: child },
        ]),
      ).toHaveLength(2);
    });
  });
});
