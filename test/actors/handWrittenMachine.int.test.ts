import { expect, it } from 'vitest';
import { z } from 'zod';
import { createRegistry, defineWorkflow, initialContext, STRUCTURE_META_KEY, workflowSetup, type WorkflowMachine } from '../../src/machines/index.js';
import { createHarness, types } from './support/harness.js';

const structure = { name: 'handmade', version: 1, steps: [{ name: 'only', kind: 'produce' as const }] };

/** Written by hand with the shared guards and actions, following the event protocol; not compiled. */
const machine = workflowSetup.createMachine({
  id: 'handmade',
  initial: 'idle',
  context: initialContext,
  meta: { [STRUCTURE_META_KEY]: structure },
  states: {
    idle: { on: { WorkflowStarted: { target: 'only', actions: 'start' } } },
    only: {
      initial: 'pending',
      on: { WorkflowCancelled: { target: '#handmade.cancelled', actions: 'cancel' } },
      states: {
        pending: { on: { StepStarted: { target: 'running', guard: { type: 'isStartOf', params: { step: 'only', loop: 'only' } }, actions: 'stepStarted' } } },
        running: {
          on: {
            StepStarted: { guard: { type: 'isRerunOf', params: { step: 'only' } }, actions: 'stepStarted' },
            StepCompleted: { target: 'done', guard: { type: 'isOutcomeOf', params: { step: 'only' } }, actions: 'stepCompleted' },
            StepFailed: { target: 'failed', guard: { type: 'isOutcomeOf', params: { step: 'only' } }, actions: 'stepFailed' },
          },
        },
        done: { on: { WorkflowCompleted: { target: '#handmade.completed', actions: 'complete' } } },
        failed: { on: { WorkflowFailed: { target: '#handmade.failed', actions: 'fail' } } },
      },
    },
    completed: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
}) as unknown as WorkflowMachine;

it('a hand-written machine that follows the event protocol runs on the same runtime', async () => {
  const handmade = defineWorkflow({
    name: 'handmade',
    version: 1,
    input: z.object({ n: z.number() }),
    machine,
    steps: [{ kind: 'produce', name: 'only', run: async (ctx) => ctx.input.n * 2 }],
  });
  expect(handmade.machine).toBe(machine);
  const h = createHarness({ definitions: createRegistry([handmade]) });
  await h.engine.start('handmade', { n: 21 }, { id: 'h1' });
  expect(await h.engine.settled('h1')).toMatchObject({ status: 'completed', output: 42 });
  expect(types(await h.events('h1'))).toEqual(['WorkflowStarted', 'StepStarted', 'StepCompleted', 'WorkflowCompleted']);
});

it('a hand-written machine whose structure does not match the definition is refused', () => {
  expect(() =>
    defineWorkflow({ name: 'handmade', version: 1, input: z.object({}), machine, steps: [{ kind: 'produce', name: 'other', run: async () => null }] }),
  ).toThrowError(/root meta\.ecl must equal the definition's structure/);
});
