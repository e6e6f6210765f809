import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStore, workflowStream, type EventStore, type RecordedEvent } from '../../src/eventstore/index.js';
import type { WorkflowEventOf } from '../../src/machines/index.js';
import { replayHistories } from '../../src/testing/index.js';
import { TIMER_MS, timerCrashDefinitions } from './support/timerCrashDefinitions.js';
import { childProcesses } from './support/childProcesses.js';

const children = childProcesses(join(import.meta.dirname, 'support', 'timerCrashChild.ts'));
const runChild = children.run;
const cleanups: (() => void)[] = [];

afterEach(() => {
  children.killAll();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function withStore<T>(path: string, read: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await openEventStore(`sqlite:${path}`);
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

type StepData = { step: string; iteration: number; attempt: number };
const of = (records: readonly RecordedEvent[], type: string) => records.filter((record) => record.type === type);
const timeIn = (output: string, word: string): number => Date.parse(new RegExp(`${word} (\\S+)`).exec(output)?.[1] ?? 'none');

describe('durable timers under SIGKILL', () => {
  it('SIGKILL while a sleep and a retry backoff are pending: a new engine on the same store recovers both; the sleep ends once, the retry runs once, no completed step iteration runs again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecl-timer-crash-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = join(dir, 'ecl.db');
    const log = join(dir, 'runs.log');
    const lines = () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((line) => line !== '')
        : [];

    const started = await runChild([store, 'start'], { ECL_TEST_LOG: log }, 'READY', true);
    const killedBy = Date.now();
    // At the kill, both timers were pending: nothing after them was recorded, and their due times lay ahead.
    const pending = await withStore(store, async (opened) => {
      const nap = await opened.readStream(workflowStream('nap-1'));
      const retry = await opened.readStream(workflowStream('retry-1'));
      expect(nap.map((record) => record.type)).toEqual(['WorkflowStarted', 'StepStarted', 'StepCompleted', 'SleepStarted']);
      expect(retry.map((record) => record.type)).toEqual(['WorkflowStarted', 'StepStarted', 'StepFailed']);
      const until = (of(nap, 'SleepStarted')[0]?.data as WorkflowEventOf<'SleepStarted'>['data']).until;
      const retryAt = (of(retry, 'StepFailed')[0]?.data as WorkflowEventOf<'StepFailed'>['data']).retryAt;
      expect(retryAt).toBeDefined();
      return { until: Date.parse(until), retryAt: Date.parse(retryAt ?? '') };
    });
    expect(pending.until).toBeGreaterThan(killedBy);
    expect(pending.retryAt).toBeGreaterThan(killedBy);
    expect(pending.until - timeIn(started, 'READY')).toBeLessThanOrEqual(TIMER_MS);
    expect(lines().sort()).toEqual(['fetch#1#1', 'write#1#1']);

    const recovered = await runChild([store, 'recover'], { ECL_TEST_LOG: log }, 'DONE completed completed', false);
    expect(recovered).toContain('DONE completed completed');

    // Every step iteration ran once, except the failed attempt's retry; nothing that completed ran again.
    expect(lines().sort()).toEqual(['fetch#1#1', 'fetch#1#2', 'send#1#1', 'send#1#1', 'write#1#1']);
    await withStore(store, async (opened) => {
      const nap = await opened.readStream(workflowStream('nap-1'));
      const retry = await opened.readStream(workflowStream('retry-1'));
      expect(nap.map((record) => record.type)).toEqual([
        'WorkflowStarted',
        'StepStarted',
        'StepCompleted',
        'SleepStarted',
        'SleepEnded',
        'StepStarted',
        'StepCompleted',
        'WorkflowCompleted',
      ]);
      // The sleep fired once, by the new engine's timer, not before its recorded due time.
      const ended = of(nap, 'SleepEnded');
      expect(ended).toHaveLength(1);
      expect(ended[0]?.metadata).toMatchObject({ sender: 'timer' });
      expect((ended[0]?.data as WorkflowEventOf<'SleepEnded'>['data']).until).toBe(new Date(pending.until).toISOString());
      expect(Date.parse(ended[0]?.metadata.at as string)).toBeGreaterThanOrEqual(pending.until);
      expect(Date.parse(ended[0]?.metadata.at as string)).toBeGreaterThanOrEqual(timeIn(recovered, 'RECOVERING'));

      // The retry ran at attempt 2, after its recorded due time, and completed; no attempt 3.
      expect(retry.map((record) => record.type)).toEqual([
        'WorkflowStarted',
        'StepStarted',
        'StepFailed',
        'StepStarted',
        'StepCompleted',
        'StepStarted',
        'StepCompleted',
        'WorkflowCompleted',
      ]);
      const starts = of(retry, 'StepStarted').map((record) => record.data as StepData & { idempotencyKey: string });
      expect(starts.map((start) => `${start.step}#${start.iteration}#${start.attempt} ${start.idempotencyKey}`)).toEqual([
        'fetch#1#1 retry-1/fetch/1',
        'fetch#1#2 retry-1/fetch/1',
        'send#1#1 retry-1/send/1',
      ]);
      expect(Date.parse(of(retry, 'StepStarted')[1]?.metadata.at as string)).toBeGreaterThanOrEqual(pending.retryAt);
      expect((of(retry, 'StepCompleted')[0]?.data as { output: unknown }).output).toBe('fetched on attempt 2');

      // No (step, iteration) completed twice, in either workflow.
      for (const records of [nap, retry]) {
        const completed = of(records, 'StepCompleted').map((record) => `${(record.data as StepData).step}#${(record.data as StepData).iteration}`);
        expect(new Set(completed).size).toBe(completed.length);
      }
      // replay --verify on both recorded histories.
      expect(
        await replayHistories(timerCrashDefinitions, [
          { workflowId: 'nap-1', events: nap },
          { workflowId: 'retry-1', events: retry },
        ]),
      ).toHaveLength(2);
    });
  });
});
