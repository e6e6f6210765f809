import { expect, it } from 'vitest';
import { notRecoveredWarning } from '../../src/actors/index.js';

it('the banner line for workflows a recovery left names each missing version once, and is absent when none was left', () => {
  expect(notRecoveredWarning(undefined)).toBeUndefined();
  expect(notRecoveredWarning([])).toBeUndefined();
  expect(
    notRecoveredWarning([
      { workflowId: 'a', definition: 'greeting', version: 1 },
      { workflowId: 'b', definition: 'greeting', version: 1 },
      { workflowId: 'c', definition: 'invoice', version: 3 },
    ]),
  ).toBe('Warning: 3 workflow(s) not recovered: greeting v1, invoice v3 not registered (see the log; they wait for a process that loads that version)');
});
