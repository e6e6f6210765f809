import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryEventStore, workflowStream, type EventStore } from '../../src/eventstore/index.js';
import { createOfflineProvider } from '../../src/llm/index.js';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';
import { partitionOf } from '../../src/cluster/index.js';
import { joinMember, until, type Member } from './support.js';

const members: Member[] = [];
afterEach(async () => {
  for (const member of members.splice(0)) await member.close();
});

const nap = defineWorkflow({
  name: 'nap',
  version: 1,
  input: z.object({ ms: z.number() }),
  steps: [
    { kind: 'sleep', name: 'nap', for: ({ input }) => input.ms },
    { kind: 'produce', name: 'wake', run: async () => 'awake' },
  ],
});

const typesOf = async (store: EventStore, id: string) => (await store.readStream(workflowStream(id))).map((record) => record.type);
const finished = async (store: EventStore, ids: string[]) =>
  (await Promise.all(ids.map((id) => typesOf(store, id)))).every((types) => types.at(-1) === 'WorkflowCompleted');

it('timers fire once, on the owner, wherever the workflow was started; a dead owner’s timers fire on the next one', async () => {
  const store = createMemoryEventStore();
  const llm = createOfflineProvider();
  const join = async (id: string) => {
    const member = await joinMember(store, llm, { id, ttlMs: 300, definitions: createRegistry([nap]) });
    members.push(member);
    return member;
  };
  const a = await join('a');
  const b = await join('b');
  await until(() => a.node.summary().held.length === 32 && b.node.summary().held.length === 32, 'an even split');

  // Started through either node; each sleep ends once (one SleepEnded, by the timer), on its owner.
  const ids = Array.from({ length: 20 }, (_, index) => `nap-${index}`);
  await Promise.all(ids.map((id, index) => (index % 2 === 0 ? a : b).engine.start('nap', { ms: 150 }, { id })));
  await until(() => finished(store, ids), 'every nap to end');
  for (const id of ids) expect((await typesOf(store, id)).filter((type) => type === 'SleepEnded')).toHaveLength(1);

  // a sleeper owned by a, started through b; a dies before it is due: b fires it once after taking over.
  const late = Array.from({ length: 200 }, (_, index) => `late-${index}`).find((id) => a.node.summary().held.includes(partitionOf(id, 64)))!;
  await b.engine.start('nap', { ms: 400 }, { id: late });
  await until(async () => (await typesOf(store, late)).includes('SleepStarted'), 'the sleep to start');
  members.splice(members.indexOf(a), 1);
  await a.engine.close();
  await a.node.close({ leave: false });
  await until(() => b.node.summary().held.length === 64, 'the takeover');
  await until(() => finished(store, [late]), 'the late nap to end');
  expect((await typesOf(store, late)).filter((type) => type === 'SleepEnded')).toHaveLength(1);
});
