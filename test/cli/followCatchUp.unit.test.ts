import { Subject } from 'rxjs';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
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
  const follower = { subscribe: () => feed.asObservable() } as unknown as Engine;
  const lines: string[] = [];
  const printer = printTransitions(follower, t.store, 'w', (line) => lines.push(line.replace(/\s+/g, ' ').trim()));
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
