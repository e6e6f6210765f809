import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore, workflowStream, type EventStore } from '../../src/eventstore/index.js';
import { createScriptedProvider } from '../../src/llm/index.js';
import { partitionOf } from '../../src/cluster/index.js';
import { recording, briefInput } from '../actors/support/harness.js';
import { startTestPostgres, type TestPostgres } from '../support/embeddedPostgres.js';
import { joinMember, until, type Member } from './support.js';

// The scenarios of sharedStore.int.test.ts, with each engine on its own PostgreSQL store
// (own pool, own LISTEN connection) on one schema, as separate processes would be.
let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const members: Member[] = [];
const stores: EventStore[] = [];
afterEach(async () => {
  for (const member of members.splice(0)) await member.close();
  for (const store of stores.splice(0)) await store.close();
});
const open = async (url: string) => {
  const store = await openEventStore(url);
  stores.push(store);
  return store;
};

const held = (holdMs: number) =>
  recording(
    createScriptedProvider({
      script: { steps: { extract: [{ iteration: 1, attempt: 1, text: 'facts', holdMs }] }, fallback: 'offline' },
      env: {},
      now: () => 0,
    }),
  );

const startsOf = async (store: EventStore, id: string) =>
  (await store.readStream(workflowStream(id)))
    .filter((record) => record.type === 'StepStarted')
    .map((record) => `${(record.data as { step: string }).step}#${(record.data as { attempt: number }).attempt}`);

describe('engines sharing one PostgreSQL schema', () => {
  it('a start sent to both nodes while the owner calls the model runs the call once, with one StepStarted', async () => {
    const url = server.schemaUrl('shared');
    const llm = held(300);
    const a = await joinMember(await open(url), llm, { id: 'a' });
    members.push(a);
    const store = await open(url);
    const b = await joinMember(store, llm, { id: 'b' });
    members.push(b);
    expect(a.node.summary().held).toHaveLength(64);
    expect(b.node.summary().held).toHaveLength(0);
    const first = await b.engine.start('brief', briefInput(), { id: 'w1' });
    expect(first.created).toBe(true);
    await until(() => llm.calls.some((call) => call.step === 'extract'), 'the extract call');
    const again = await Promise.all([a.engine.start('brief', briefInput(), { id: 'w1' }), b.engine.start('brief', briefInput(), { id: 'w1' })]);
    expect(again.map((result) => result.created)).toEqual([false, false]);
    expect((await b.engine.settled('w1')).status).toBe('completed');
    expect(llm.calls.filter((call) => call.step === 'extract')).toHaveLength(1);
    expect((await startsOf(store, 'w1')).filter((start) => start.startsWith('extract'))).toEqual(['extract#1']);
  });

  it('balances partitions when a worker joins, and takes a dead worker’s partitions over after the TTL', async () => {
    const url = server.schemaUrl('failover');
    const llm = held(5_000);
    const a = await joinMember(await open(url), llm, { id: 'a', ttlMs: 300 });
    members.push(a);
    const store = await open(url);
    const b = await joinMember(store, llm, { id: 'b', ttlMs: 300 });
    members.push(b);
    await until(() => a.node.summary().held.length === 32 && b.node.summary().held.length === 32, 'an even split');
    const id = Array.from({ length: 200 }, (_, index) => `w${index}`).find((candidate) => a.node.summary().held.includes(partitionOf(candidate, 64)))!;
    await a.engine.start('brief', briefInput(), { id });
    await until(() => llm.calls.some((call) => call.step === 'extract'), 'the extract call');
    members.splice(members.indexOf(a), 1);
    // As if killed: its calls stop with it (no outcome recorded), its leases stay until they expire.
    await a.engine.release(() => true);
    await a.node.close({ leave: false });
    const killedAt = Date.now();
    await until(() => b.node.summary().held.length === 64, 'the takeover', 5_000);
    expect(Date.now() - killedAt).toBeLessThan(300 + 300);
    expect((await b.engine.settled(id)).status).toBe('completed');
    expect((await startsOf(store, id)).filter((start) => start.startsWith('extract'))).toEqual(['extract#1', 'extract#2']);
    await a.engine.close();
  });
});
