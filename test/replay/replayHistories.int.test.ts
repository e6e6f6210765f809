import { expect, it } from 'vitest';
import { createMemoryEventStore, createTestEngine, historiesOf, isReplayDivergence, replayHistories, type HistoryReplay } from 'ecl-workflows/testing';
import { greetingV1, greetingV2 } from '../../examples/versions/greeting.js';
import { greetingV1Edited } from '../cli/fixtures/greetingEdited.js';

it('replayHistories says of each history whether it finished, and what keeps it from replaying: a divergence, a version not registered, or an unreadable stream', async () => {
  const t = createTestEngine({ definitions: [greetingV1, greetingV2] });
  await t.run(greetingV1, { name: 'Ada' }, { id: 'done' });
  await t.run(greetingV1, { name: 'Bo', approval: true }, { id: 'gate' });
  await t.run(greetingV2, { name: 'Cy' }, { id: 'new' });
  const histories = [];
  for await (const history of historiesOf(t.store)) histories.push(history);
  expect(histories.map((history) => history.workflowId)).toEqual(['done', 'gate', 'new']);
  const unreadable = { workflowId: 'odd', events: histories[0]!.events.slice(1) };

  const told: string[] = [];
  const kept = await replayHistories([greetingV1, greetingV2], histories, { onReplayed: (replay) => told.push(replay.workflowId) });
  expect(told).toEqual(['done', 'gate', 'new']);
  expect(kept.map(({ workflowId, version, finished, problem }) => ({ workflowId, version, finished, problem }))).toEqual([
    { workflowId: 'done', version: 1, finished: true, problem: undefined },
    { workflowId: 'gate', version: 1, finished: false, problem: undefined },
    { workflowId: 'new', version: 2, finished: true, problem: undefined },
  ]);

  const outcome = (replay: HistoryReplay) => `${replay.workflowId} ${replay.definition ?? '?'} v${replay.version ?? '?'} ${replay.problem ?? 'ok'}`;
  const edited = await replayHistories([greetingV1Edited], [...histories, unreadable], { throwOnDivergence: false });
  expect(edited.map(outcome)).toEqual(['done greeting v1 diverged', 'gate greeting v1 diverged', 'new greeting v2 not_registered', 'odd ? v? unreadable']);
  expect(edited[0]!.error).toMatch(/^revision 3: the machine starts .*"polish".*, the record says .*"publish"/);
  expect(edited[3]!.error).toMatch(/does not begin with a readable WorkflowStarted/);

  const rejected = await replayHistories([greetingV2], histories).catch((error: unknown) => error);
  expect(isReplayDivergence(rejected)).toBe(true);
  expect((rejected as Error).message.split('\n')).toEqual([
    'done: Workflow done was written by greeting v1, which is not registered: register that version to replay it',
    'gate: Workflow gate was written by greeting v1, which is not registered: register that version to replay it',
  ]);
  await t.close();
});

it('replayHistories refuses to pass a check that replayed nothing (a store path with a typo opens an empty store), unless told none is expected', async () => {
  const store = createMemoryEventStore();
  await expect(replayHistories([greetingV1], historiesOf(store))).rejects.toThrow(
    /^replayHistories was given no history: a check that replays nothing proves nothing/,
  );
  expect(await replayHistories([greetingV1], historiesOf(store), { allowEmpty: true })).toEqual([]);
});
