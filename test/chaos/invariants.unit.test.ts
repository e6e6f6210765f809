import { describe, expect, it } from 'vitest';
import type { ChaosCall } from './support/chaosModel.js';
import { checkWorkflow, type Acks, type CallFigures, type ObservedWorkflow } from './support/invariants.js';
import type { LoggedEvent } from './support/readWorkflow.js';

// The crash campaign is only as good as its checks: each invariant must catch the violation it names.

const event = (type: string, data: Record<string, unknown> = {}): Omit<LoggedEvent, 'revision'> => ({ type, data, sender: 'system' });
const call = (index: number, step: string, generation: number, cut = false): ChaosCall => ({
  index,
  workflowId: 'acme:w',
  step,
  iteration: 1,
  call: 1,
  key: `acme:w/${step}/1/1`,
  generation,
  cut,
});

function observed(events: Array<Omit<LoggedEvent, 'revision'>>): ObservedWorkflow {
  const log = events.map((entry, revision) => ({ ...entry, revision }));
  const last = log.at(-1) as LoggedEvent;
  return {
    id: 'w',
    storedId: 'acme:w',
    log,
    status: { status: last.type === 'WorkflowCompleted' ? 'completed' : 'running', revision: last.revision },
    audit: log.map(({ revision, type }) => ({ revision, type })),
  };
}

const healthy = () => [
  event('WorkflowStarted'),
  event('StepStarted', { step: 'publish', iteration: 1, attempt: 1 }),
  event('StepStarted', { step: 'publish', iteration: 1, attempt: 2 }),
  event('StepCompleted', { step: 'publish', iteration: 1, output: 'publish text call#2' }),
  event('WorkflowCompleted'),
];
const figures = (): CallFigures => ({ calls: 0, interrupted: 0, madeAgain: 0 });
const noAcks = (): Acks => ({ starts: new Set(['w']), commands: [] });

describe('the crash campaign invariants', () => {
  it('pass a healthy history: an interrupted call made again once, in the next process life', () => {
    const counted = figures();
    expect(checkWorkflow(observed(healthy()), noAcks(), [call(1, 'publish', 1, true), call(2, 'publish', 2)], undefined, counted)).toEqual([]);
    expect(counted).toEqual({ calls: 2, interrupted: 1, madeAgain: 1 });
  });

  it('catch a recorded call made again, and a call made twice in one process life', () => {
    expect(checkWorkflow(observed(healthy()), noAcks(), [call(2, 'publish', 1), call(3, 'publish', 2)], undefined, figures())).toEqual([
      expect.stringMatching(/call #2 was recorded, then made again as #3/),
    ]);
    expect(checkWorkflow(observed(healthy()), noAcks(), [call(1, 'publish', 2), call(2, 'publish', 2)], undefined, figures())).toEqual([
      expect.stringMatching(/same process life/),
    ]);
  });

  it('catch a lost acknowledgement, a second StepCompleted, a read model behind the log, and a settled workflow that moved', () => {
    const history = healthy();
    const acks: Acks = { starts: new Set(['w']), commands: [{ id: 'w', type: 'APPROVE', revision: 2 }] };
    expect(checkWorkflow(observed(history), acks, [call(2, 'publish', 1)], undefined, figures())).toEqual([
      expect.stringMatching(/acknowledged APPROVE at revision 2 is not in the log/),
    ]);
    const twice = [
      ...history.slice(0, 4),
      event('StepCompleted', { step: 'publish', iteration: 1, output: 'publish text call#2' }),
      event('WorkflowCompleted'),
    ];
    expect(checkWorkflow(observed(twice), noAcks(), [call(2, 'publish', 1)], undefined, figures())).toEqual([expect.stringMatching(/StepCompleted twice/)]);
    const behind = observed(history);
    behind.status = { status: 'running', revision: 3 };
    expect(checkWorkflow(behind, noAcks(), [call(2, 'publish', 1)], undefined, figures())).toEqual([
      expect.stringMatching(/status read model at revision 3/),
      expect.stringMatching(/status read model says running/),
    ]);
    expect(checkWorkflow(observed(history), noAcks(), [call(2, 'publish', 1)], 3, figures())).toEqual([
      expect.stringMatching(/settled at revision 3, now at 4/),
    ]);
  });
});
