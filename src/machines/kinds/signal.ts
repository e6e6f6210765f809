import { type Decision, append, decisionFailed, due, stepFailed } from '../decisions.js';
import type { WorkflowContext } from '../context.js';
import { type MachineArgs, assignUpdate, dataOf } from '../machineArgs.js';
import { COMMAND_TYPES } from '../commands.js';
import { SIGNAL_NAME } from '../structure.js';
import { type StepKindRules, guard, noPhase } from './stepKind.js';

/**
 * `signal`: waits for a named signal from outside. SignalAwaited records what it waits for (and
 * until when); SignalReceived carries the data (its output); SignalTimedOut fails or goes on.
 */
export const signalKind: StepKindRules = {
  validate(_structure, step, _index, fail) {
    if (step.signal === undefined || !SIGNAL_NAME.test(step.signal)) {
      fail(`signal step "${step.name}": the signal's name must start with a lowercase letter and hold only letters, digits and _`);
    }
    // `ecl send <id> approve` means APPROVE: a signal may not be named like a command.
    if (step.signal !== undefined && (COMMAND_TYPES as readonly string[]).includes(step.signal.toUpperCase())) {
      fail(`signal step "${step.name}": "${step.signal}" is the name of a command; give the signal another name`);
    }
  },

  entry: (step, builder, guards) => ({
    transitions: {
      SignalAwaited: [{ target: builder.ref(`${step.name}.waiting`), guard: guards([guard('isStep', { step: step.name })]), actions: 'signalAwaited' }],
    },
  }),

  state: (step, index, builder) =>
    builder.compound(step, 'pending', {
      pending: { on: builder.enter(index) },
      waiting: {
        tags: ['waiting'],
        on: {
          SignalReceived: [{ target: 'done', guard: guard('isSignalFor', { step: step.name }), actions: 'signalReceived' }],
          SignalTimedOut: [
            { target: 'done', guard: guard('signalTimedOut', { step: step.name, policy: 'continue' }), actions: 'signalTimedOut' },
            { target: 'failed', guard: guard('signalTimedOut', { step: step.name, policy: 'fail' }), actions: 'signalTimedOut' },
          ],
        },
      },
      done: { on: builder.advance(index) },
      failed: { on: builder.failWorkflow },
    }),

  enter(step, deciding): Decision {
    const { decisions, now } = deciding.needs(step);
    try {
      const timeoutAt = decisions.signalTimeoutAt(step.name, deciding.context, now);
      return append({ type: 'SignalAwaited', data: { v: 1, step: step.name, signal: step.signal ?? '', ...(timeoutAt === undefined ? {} : { timeoutAt }) } });
    } catch (error) {
      return decisionFailed(`Signal step "${step.name}" could not be entered: ${(error as Error).message}`);
    }
  },

  decide(step, phase, deciding) {
    const { context, now } = deciding;
    switch (phase) {
      case 'pending':
        return deciding.enter(deciding.structure.steps.indexOf(step));
      case 'waiting': {
        const waiting = context.waiting;
        const accepts = waiting?.accepts ?? [];
        if (waiting?.timeoutAt === undefined) return { kind: 'wait', step: step.name, accepts };
        if (now === undefined || !due(waiting.timeoutAt, now)) return { kind: 'wait', step: step.name, accepts, wakeAt: waiting.timeoutAt };
        const policy = step.onTimeout ?? 'fail';
        return append({ type: 'SignalTimedOut', data: { v: 1, step: step.name, signal: waiting.signal ?? '', timeoutAt: waiting.timeoutAt, policy } });
      }
      case 'done':
        return deciding.advance(step);
      case 'failed':
        return stepFailed(step, context);
      default:
        return noPhase(step, phase);
    }
  },
};

/** The guards of signal steps (registered in `KIND_GUARDS`). */
export const signalGuards = {
  /** The signal the step waits for. */
  isSignalFor: ({ context, event }: MachineArgs, params: { step: string }) => {
    const data = dataOf(event, 'SignalReceived');
    return data !== undefined && data.step === params.step && context.waiting?.kind === 'signal' && context.waiting.signal === data.signal;
  },
  signalTimedOut: ({ context, event }: MachineArgs, params: { step: string; policy: 'fail' | 'continue' }) => {
    const data = dataOf(event, 'SignalTimedOut');
    return data !== undefined && data.step === params.step && data.policy === params.policy && context.waiting?.signal === data.signal;
  },
};

const signalUpdates = {
  signalAwaited: ({ event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'SignalAwaited');
    if (data === undefined) return {};
    const waiting: NonNullable<WorkflowContext['waiting']> = {
      step: data.step,
      kind: 'signal',
      revisable: false,
      accepts: [data.signal, 'CANCEL'],
      signal: data.signal,
    };
    if (data.timeoutAt !== undefined) waiting.timeoutAt = data.timeoutAt;
    return { waiting };
  },
  signalReceived: ({ context, event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'SignalReceived');
    return data === undefined ? {} : { outputs: { ...context.outputs, [data.step]: data.data }, waiting: null };
  },
  signalTimedOut: ({ context, event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'SignalTimedOut');
    if (data === undefined) return {};
    if (data.policy === 'continue') return { outputs: { ...context.outputs, [data.step]: null }, waiting: null };
    const message = `Step "${data.step}" waited for signal "${data.signal}" until ${data.timeoutAt}; it did not come`;
    return { waiting: null, error: { code: 'SIGNAL_TIMEOUT', message, retryable: false } };
  },
};

/** The context updates of signal steps, as XState actions (registered in `KIND_ACTIONS`). */
export const signalActions = {
  signalAwaited: assignUpdate(signalUpdates.signalAwaited),
  signalReceived: assignUpdate(signalUpdates.signalReceived),
  signalTimedOut: assignUpdate(signalUpdates.signalTimedOut),
};
