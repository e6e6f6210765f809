import { expect, it } from 'vitest';
import { createMemoryEventStore } from '../../src/eventstore/index.js';
import { runReplay } from '../../src/replay/index.js';
import { createSampleRegistry } from '../support/definitions.js';
import { appendGolden, loadGolden } from '../projections/support/goldens.js';
import { connectInspector } from './support/inspectorClient.js';

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
};

it('ecl replay --inspect serves the replayed workflow from the loopback relay, whole history included for a page that connects late', async () => {
  const golden = loadGolden('brief-v1-revise-once.json');
  const store = createMemoryEventStore();
  await appendGolden(store, golden);
  const { relay, exitCode } = await runReplay({
    workflowId: golden.workflowId,
    store,
    registry: createSampleRegistry(),
    inspectPort: 0,
    out: () => undefined,
    err: () => undefined,
  });
  expect(exitCode).toBe(0);
  try {
    expect(relay?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await (await fetch(relay!.url)).text()).toContain('stately.ai/inspect');

    const recorded = golden.lastRevision + 1;
    const { socket, messages } = await connectInspector(relay!.url);
    await until(() => messages.length >= 1 + 2 * recorded);
    socket.close();

    expect(messages.every((m) => m.sessionId === `replay:${golden.workflowId}`)).toBe(true);
    expect(messages[0]?.type).toBe('@xstate.actor');
    expect(JSON.parse(messages[0]!.definition!)).toMatchObject({ id: 'brief' });
    const events = messages.filter((m) => m.type === '@xstate.event').map((m) => m.event?.type);
    expect(events).toEqual(golden.events.map((event) => event.type));
    const snapshots = messages.filter((m) => m.type === '@xstate.snapshot');
    expect(snapshots).toHaveLength(recorded);
    expect(snapshots.at(-1)?.snapshot).toMatchObject({ status: 'done', value: golden.finalState });
  } finally {
    await relay?.close();
  }
});
