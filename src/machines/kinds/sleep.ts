import { type Decision, append, decisionFailed, due } from '../decisions.js';
import type { WorkflowContext } from '../context.js';
import { type MachineArgs, assignUpdate, dataOf } from '../machineArgs.js';
import { type StepKindRules, guard, noPhase } from './stepKind.js';

/** `sleep`: a durable timer. SleepStarted records the due time; the timer's SleepEnded moves on. */
export const sleepKind: StepKindRules = {
  entry: (step, builder, guards) => ({
    transitions: {
      SleepStarted: [{ target: builder.ref(`${step.name}.sleeping`), guard: guards([guard('isStep', { step: step.name })]), actions: 'sleepStarted' }],
    },
  }),

  state: (step, index, builder) =>
    builder.compound(step, 'pending', {
      pending: { on: builder.enter(index) },
      sleeping: { tags: ['sleeping'], on: { SleepEnded: [{ target: 'done', guard: guard('isWakeOf', { step: step.name }), actions: 'sleepEnded' }] } },
      done: { on: builder.advance(index) },
    }),

  enter(step, deciding): Decision {
    const { decisions, now } = deciding.needs(step);
    try {
      return append({ type: 'SleepStarted', data: { v: 1, step: step.name, until: decisions.sleepUntil(step.name, deciding.context, now) } });
    } catch (error) {
      return decisionFailed(`Sleep step "${step.name}" could not be entered: ${(error as Error).message}`);
    }
  },

  decide(step, phase, deciding) {
    switch (phase) {
      case 'pending':
        return deciding.enter(deciding.structure.steps.indexOf(step));
      case 'sleeping': {
        const { context, now } = deciding;
        const until = context.sleeping?.until ?? now ?? '';
        if (now === undefined || !due(until, now)) return { kind: 'timer', step: step.name, at: until };
        return append({ type: 'SleepEnded', data: { v: 1, step: step.name, until } });
      }
      case 'done':
        return deciding.advance(step);
      default:
        return noPhase(step, phase);
    }
  },
};

/** The guards of sleep steps (registered in `KIND_GUARDS`). */
export const sleepGuards = {
  /** The due time of the step's sleep. */
  isWakeOf: ({ context, event }: MachineArgs, params: { step: string }) => {
    const data = dataOf(event, 'SleepEnded');
    return data !== undefined && data.step === params.step && context.sleeping?.step === params.step && context.sleeping.until === data.until;
  },
};

const sleepUpdates = {
  sleepStarted: ({ event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'SleepStarted');
    return data === undefined ? {} : { sleeping: { step: data.step, until: data.until } };
  },
  sleepEnded: (): Partial<WorkflowContext> => ({ sleeping: null }),
};

/** The context updates of sleep steps, as XState actions (registered in `KIND_ACTIONS`). */
export const sleepActions = {
  sleepStarted: assignUpdate(sleepUpdates.sleepStarted),
  sleepEnded: assignUpdate(sleepUpdates.sleepEnded),
};
