import { Subject } from 'rxjs';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { createRegistry, defineWorkflow } from 'ecl-workflows';
import { createTestEngine } from 'ecl-workflows/testing';
import { type Engine, type EngineEvent, foreignTransition } from '../../src/actors/index.js';
import { printTransitions } from '../../src/cli/followWorkflow.js';

const three = defineWorkflow({
  name: 'three',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'a', run: async () => 1 },
    { kind: 'produce', name: 'b', run: async () => 2 },
    { kind: 'produce', name: 'c', run: async () => 3 },
  ],
});

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

it('--follow prints every transition once and in order: gaps in the feed, and what it had not passed on when the workflow settled, are read from the store', async () => {
  const t = createTestEngine({ definitions: [three] });
  const settled = await t.run('three', {}, { id: 'w' });
  const records = await t.history('w');
  expect(settled.revision).toBe(records.length - 1);

  // The feed of a process that follows another's work: it skips revision 2, repeats 1, and stops after 4.
  const feed = new Subject<EngineEvent>();
  const follower = { subscribe: () => feed.asObservable(), get: (id: string) => t.engine.get(id) } as unknown as Engine;
  const lines: string[] = [];
  const printer = printTransitions(follower, t.store, 'w', (line) => lines.push(line.replace(/\s+/g, ' ').trim()), createRegistry([three]));
  for (const revision of [0, 1, 3, 1, 4]) feed.next(foreignTransition('w', records[revision]!));
  for (let i = 0; i < 5; i++) await turn();
  expect(lines).toEqual(['workflow started three v1', 'a #1 started', 'a #1 done', 'b #1 started', 'b #1 done']);

  await printer.finish(settled.revision);
  // Whatever the feed says after finish is not printed again.
  feed.next(foreignTransition('w', records.at(-1)!));
  await turn();
  expect(lines).toEqual([
    'workflow started three v1',
    'a #1 started',
    'a #1 done',
    'b #1 started',
    'b #1 done',
    'c #1 started',
    'c #1 done',
    'workflow completed',
  ]);
  await t.close();
});

const longNames = defineWorkflow({
  name: 'longNames',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'a', run: async () => 1 },
    { kind: 'produce', name: 'summarizeEveryTicket', run: async () => 2 },
  ],
});

it('--follow aligns its columns to the longest step name of the definition, from the first line', async () => {
  const t = createTestEngine({ definitions: [longNames] });
  await t.run('longNames', {}, { id: 'w' });
  const records = await t.history('w');
  const feed = new Subject<EngineEvent>();
  const follower = { subscribe: () => feed.asObservable(), get: (id: string) => t.engine.get(id) } as unknown as Engine;
  const lines: string[] = [];
  const printer = printTransitions(follower, t.store, 'w', (line) => lines.push(line), createRegistry([longNames]));
  await printer.finish(records.length - 1);
  // Every line's third column (what happened) starts at the same place.
  const columns = lines.map((line) => line.search(/ (started|done|completed)/));
  expect(lines).toHaveLength(records.length);
  expect(new Set(columns).size).toBe(1);
  expect(columns[0]).toBe(2 + 'summarizeEveryTicket'.length + 4);
  await t.close();
});
