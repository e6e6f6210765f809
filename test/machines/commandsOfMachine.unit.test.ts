import { expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { z } from 'zod';
import { commandsOfMachine, defineWorkflow } from '../../src/machines/index.js';

const produce = { kind: 'produce', name: 'draft', run: async () => ({ text: 'x' }) } as const;

it('a workflow with no step a person decides on accepts only CANCEL', () => {
  const signalled = defineWorkflow({ name: 'signalled', version: 1, input: z.object({}), steps: [{ kind: 'signal', name: 'paid', signal: 'payment' }] });
  expect(commandsOfMachine(signalled.machine)).toEqual(['CANCEL']);
});

it('an approval gate that revises accepts all three decisions', () => {
  const gated = defineWorkflow({ name: 'gated', version: 1, input: z.object({}), steps: [produce, { kind: 'approval', name: 'signoff', revises: 'draft' }] });
  expect(commandsOfMachine(gated.machine)).toEqual(['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL']);
});

it('a producing step alone can wait for a person over its budget: APPROVE (waive) or REJECT, nothing to revise', () => {
  const single = defineWorkflow({ name: 'single', version: 1, input: z.object({}), steps: [produce] });
  expect(commandsOfMachine(single.machine)).toEqual(['APPROVE', 'REJECT', 'CANCEL']);
});

it('a hand-written decision transition whose guard names no decision counts as accepting all three', () => {
  const machine = createMachine({ initial: 'a', states: { a: { on: { HumanDecisionReceived: { target: 'b', guard: () => true } } }, b: {} } });
  expect(commandsOfMachine(machine)).toEqual(['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL']);
});
