// Two versions of one definition side by side, tested as a user of the package tests them.
import { defineWorkflow } from 'ecl-workflows';
import { createTestEngine, isReplayDivergence, replayHistories } from 'ecl-workflows/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { greetingV1, greetingV2 } from './greeting.js';

const stepsOf = (events: readonly { type: string; data: unknown }[]) =>
  events.flatMap((event) => (event.type === 'StepCompleted' ? [(event.data as { step: string }).step] : []));

describe('greeting v1 and v2', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(() => close?.());

  it('new starts take v2; a v1 workflow started on purpose waits at its gate and finishes on v1', async () => {
    const test = createTestEngine({ definitions: [greetingV1, greetingV2] });
    close = test.close;
    expect(await test.run('greeting', { name: 'Ada', approval: true }, { id: 'old', version: 1 })).toMatchObject({ status: 'waiting', version: 1 });
    expect(await test.run('greeting', { name: 'Bob' }, { id: 'new' })).toMatchObject({ status: 'completed', version: 2 });
    expect(await test.send('old', { type: 'APPROVE' })).toMatchObject({ status: 'completed', version: 1, output: 'Published: Hello, Ada.' });
    expect(stepsOf(await test.history('old'))).toEqual(['draft', 'publish']);
    expect(stepsOf(await test.history('new'))).toEqual(['draft', 'polish', 'publish']);
  });

  it('replayHistories passes with both versions, and catches v1 retired too early or edited in place', async () => {
    const test = createTestEngine({ definitions: [greetingV1] });
    close = test.close;
    await test.run('greeting', { name: 'Ada' }, { id: 'recorded' });
    const events = await test.history('recorded');
    const histories = [{ workflowId: 'recorded', events }];

    expect(await replayHistories([greetingV1, greetingV2], histories)).toEqual([
      { workflowId: 'recorded', definition: 'greeting', version: 1, folded: events.length, finished: true },
    ]);

    const retired = await replayHistories([greetingV2], histories).catch((error: unknown) => error);
    expect(isReplayDivergence(retired) && retired.message).toMatch(/written by greeting v1, which is not registered/);

    // The unsafe change: v2's steps under v1's number. Recorded v1 runs no longer reproduce.
    const editedInPlace = defineWorkflow({ name: 'greeting', version: 1, input: greetingV2.input, steps: greetingV2.steps });
    const edited = await replayHistories([editedInPlace], histories).catch((error: unknown) => error);
    expect(isReplayDivergence(edited) && edited.message).toMatch(
      /^recorded: revision 3: the machine starts .*"step":"polish".*, the record says .*"step":"publish"/,
    );
  });
});
