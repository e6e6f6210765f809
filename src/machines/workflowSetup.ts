import { setup } from 'xstate';
import {
  EMPTY_POLICIES,
  type InFlightStep,
  NO_CALLS,
  type RecordedCall,
  type Usage,
  type WaitKind,
  type WorkflowContext,
  initialContext,
  rerunOnRetry,
} from './context.js';
import { DEADLINE_PASSED, DECISION_FAILED } from './decisions.js';
import type { WorkflowEvent } from './events.js';
import { KIND_ACTIONS, KIND_GUARDS } from './kinds/index.js';
import { type MachineArgs, type PayloadOf, assignUpdate, dataOf } from './machineArgs.js';

const stepOf = (event: WorkflowEvent): string | undefined => ('step' in event.data ? event.data.step : undefined);

/**
 * The usage with a step outcome's spend added. An outcome totals every model call of its iteration,
 * earlier attempts' included, so what the iteration's failed attempts already added (`counted`) is
 * taken off: each call is counted once, whichever attempt recorded it.
 */
const addUsage = (usage: Usage, llm: PayloadOf<'StepCompleted'>['llm'], counted?: Usage): Usage => {
  if (llm === undefined) return usage;
  const more = (field: keyof Usage): number => Math.max(0, llm[field] - (counted?.[field] ?? 0));
  return {
    inputTokens: usage.inputTokens + more('inputTokens'),
    outputTokens: usage.outputTokens + more('outputTokens'),
    costUsd: usage.costUsd + more('costUsd'),
  };
};

/** The step that just finished, without what its failed attempts had counted: its outcome counted the rest. */
const settledCurrent = (context: WorkflowContext): Partial<WorkflowContext> => {
  if (context.current?.counted === undefined) return {};
  const { counted: _counted, ...current } = context.current;
  return { current };
};

/** What the iteration in flight has added to the usage so far, when an outcome of `data`'s attempt comes. */
const countedFor = (context: WorkflowContext, data: { step: string; iteration: number }): Usage | undefined =>
  context.current?.step === data.step && context.current.iteration === data.iteration ? context.current.counted : undefined;

/** A retried attempt's journal: the iteration's, but for the calls it runs again. */
const keptOnRetry = (calls: readonly RecordedCall[]): readonly RecordedCall[] => {
  const again = rerunOnRetry(calls);
  return again.length === 0 ? calls : calls.filter((call) => !again.includes(call));
};

const without = (record: Record<string, string>, key: string): Record<string, string> => {
  if (!(key in record)) return record;
  const { [key]: _removed, ...rest } = record;
  return rest;
};

/** A guard by name, with its parameters: how compiled transitions refer to guards (data the inspector can show). */
export interface GuardRef {
  type: keyof typeof stepGuards;
  params: object;
}

const stepGuards = {
  isStep: ({ event }: MachineArgs, params: { step: string }) => stepOf(event) === params.step,
  /** The start of a step at the iteration its loop is at. */
  isStartOf: ({ context, event }: MachineArgs, params: { step: string; loop: string }) => {
    const data = dataOf(event, 'StepStarted');
    return data !== undefined && data.step === params.step && data.iteration === (context.iterations[params.loop] ?? 1);
  },
  /** A re-run of the step in flight (after a crash or restart): same iteration, a later attempt. */
  isRerunOf: ({ context, event }: MachineArgs, params: { step: string }) => {
    const data = dataOf(event, 'StepStarted');
    const current = context.current;
    return (
      data !== undefined &&
      current !== null &&
      data.step === params.step &&
      current.step === params.step &&
      data.iteration === current.iteration &&
      data.attempt > current.attempt
    );
  },
  /** The outcome of the attempt in flight; outcomes of superseded attempts are not accepted. */
  isOutcomeOf: ({ context, event }: MachineArgs, params: { step: string }) => {
    const current = context.current;
    if (current === null || current.step !== params.step || (event.type !== 'StepCompleted' && event.type !== 'StepFailed')) return false;
    return event.data.step === params.step && event.data.iteration === current.iteration && event.data.attempt === current.attempt;
  },
  /**
   * A journaled call of the attempt in flight, at a position and under a name not recorded yet in
   * this iteration, with exactly one of output and error.
   */
  isCallOf: ({ context, event }: MachineArgs, params: { step: string }) => {
    const data = dataOf(event, 'CallCompleted');
    const current = context.current;
    if (data === undefined || current === null || current.step !== params.step) return false;
    if (data.step !== params.step || data.iteration !== current.iteration || data.attempt !== current.attempt) return false;
    if ((data.output === undefined) === (data.error === undefined)) return false;
    for (const recorded of context.calls) if (recorded.item === data.item && (recorded.seq === data.seq || recorded.call === data.call)) return false;
    return true;
  },
  isRevisionOf: ({ context, event }: MachineArgs, params: { step: string }) => {
    const data = dataOf(event, 'RevisionRequested');
    return data !== undefined && data.step === params.step && data.iteration === (context.iterations[params.step] ?? 1);
  },
  verdictIs: ({ context }: MachineArgs, params: { step: string; verdict: 'approve' | 'revise' }) => {
    const output = context.outputs[params.step];
    return typeof output === 'object' && output !== null && !Array.isArray(output) && output.verdict === params.verdict;
  },
  capPolicyIs: ({ context }: MachineArgs, params: { step: string; policy: 'fail' | 'accept' | 'escalate' }) =>
    context.policies.loops[params.step]?.onCap === params.policy,
  gateEnabled: ({ context }: MachineArgs, params: { gate: string; enabled: boolean }) => (context.policies.approvals[params.gate] ?? false) === params.enabled,
  isDecision: ({ event }: MachineArgs, params: { step: string; decision: 'approve' | 'reject' | 'request_revision' }) => {
    const data = dataOf(event, 'HumanDecisionReceived');
    return data !== undefined && data.step === params.step && data.decision === params.decision;
  },
  waitingFor: ({ context }: MachineArgs, params: { kind: WaitKind }) => context.waiting?.kind === params.kind,
  canRevise: ({ context }: MachineArgs) => context.waiting?.revisable === true,
  /** A failed attempt that its retry policy runs again (the step stays running). */
  willRetry: ({ event }: MachineArgs) => dataOf(event, 'StepFailed')?.retryAt !== undefined,
  /** A failure that ends the workflow in any state: its deadline passed, or a definition's decision function failed. */
  failsAnywhere: ({ event }: MachineArgs) => {
    const code = dataOf(event, 'WorkflowFailed')?.error?.code;
    return code === DEADLINE_PASSED || code === DECISION_FAILED;
  },
  ...KIND_GUARDS,
};

export { DEADLINE_PASSED, DECISION_FAILED } from './decisions.js';

/**
 * The guards of every compiled workflow machine: pure functions of the context and the recorded
 * event — the ones above, shared by the kinds that run code or wait for a person, and each other
 * kind's own (`KIND_GUARDS`). `allOf` is a conjunction kept as data (the inspector shows it); it
 * runs the step guards itself (workflow machines never override them).
 */
export const workflowGuards = {
  ...stepGuards,
  allOf: (args: MachineArgs, params: { guards: readonly GuardRef[] }): boolean =>
    params.guards.every((guard) => (stepGuards[guard.type] as (args: MachineArgs, params: object) => boolean)(args, guard.params)),
};

/**
 * What each action of a compiled workflow machine changes in the context: pure functions of the
 * context and the recorded event. The machine runs them as XState `assign` actions; the compiled
 * fold runs the very same functions.
 */
export const contextUpdates = {
  start: ({ event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'WorkflowStarted');
    if (data === undefined) return {};
    return {
      ...initialContext(),
      workflowId: data.workflowId,
      input: data.input,
      inputHash: data.inputHash,
      policies: data.policies ?? EMPTY_POLICIES,
    };
  },
  stepStarted: ({ context, event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'StepStarted');
    if (data === undefined) return {};
    // A re-run of the same iteration keeps its journal: the calls recorded by earlier attempts are
    // replayed, not made again, but for the one the last attempt failed on, if retryable. What they spent stays counted.
    const rerun = context.current !== null && context.current.step === data.step && context.current.iteration === data.iteration;
    const counted = rerun ? context.current?.counted : undefined;
    const current: InFlightStep = { step: data.step, iteration: data.iteration, attempt: data.attempt };
    if (data.timeoutAt !== undefined) current.timeoutAt = data.timeoutAt;
    if (counted !== undefined) current.counted = counted;
    return {
      current,
      calls: !rerun ? NO_CALLS : keptOnRetry(context.calls),
      iterations: context.iterations[data.step] === data.iteration ? context.iterations : { ...context.iterations, [data.step]: data.iteration },
    };
  },
  callCompleted: ({ context, event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'CallCompleted');
    if (data === undefined) return {};
    const call: RecordedCall = { call: data.call, kind: data.kind, seq: data.seq, attempt: data.attempt };
    if (data.item !== undefined) call.item = data.item;
    if (data.output !== undefined) call.output = data.output;
    if (data.error !== undefined) call.error = data.error;
    if (data.llm !== undefined) call.llm = data.llm;
    return { calls: [...context.calls, call] };
  },
  stepCompleted: ({ context, event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'StepCompleted');
    if (data === undefined) return {};
    return {
      outputs: { ...context.outputs, [data.step]: data.output },
      artifacts: data.artifact === undefined ? context.artifacts : { ...context.artifacts, [data.step]: data.artifact },
      feedback: without(context.feedback, data.step),
      usage: addUsage(context.usage, data.llm, countedFor(context, data)),
      calls: NO_CALLS,
      ...settledCurrent(context),
    };
  },
  stepFailed: ({ context, event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'StepFailed');
    if (data === undefined) return {};
    return { error: data.error, usage: addUsage(context.usage, data.llm, countedFor(context, data)), calls: NO_CALLS, ...settledCurrent(context) };
  },
  /** A failed attempt to be retried: the step stays running with its journal until the next attempt's StepStarted. */
  attemptFailed: ({ context, event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'StepFailed');
    if (data === undefined || context.current === null || data.retryAt === undefined) return {};
    // The attempt is over: its time limit no longer applies, the retry's due time does.
    const { timeoutAt: _ended, ...current } = context.current;
    const usage = addUsage(context.usage, data.llm, current.counted);
    const counted =
      data.llm === undefined ? current.counted : { inputTokens: data.llm.inputTokens, outputTokens: data.llm.outputTokens, costUsd: data.llm.costUsd };
    return { current: { ...current, retryAt: data.retryAt, ...(counted === undefined ? {} : { counted }) }, error: data.error, usage };
  },
  revisionRequested: ({ context, event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'RevisionRequested');
    if (data === undefined) return {};
    return {
      iterations: { ...context.iterations, [data.step]: data.iteration + 1 },
      feedback: { ...context.feedback, [data.step]: data.feedback },
      waiting: null,
    };
  },
  humanInputRequested: ({ event }: MachineArgs, params: { kind: WaitKind }): Partial<WorkflowContext> => {
    const data = dataOf(event, 'HumanInputRequested');
    if (data === undefined) return {};
    return { waiting: { step: data.step, kind: params.kind, revisable: data.accepts.includes('REQUEST_REVISION'), accepts: data.accepts } };
  },
  humanDecided: (): Partial<WorkflowContext> => ({ waiting: null }),
  waiveBudget: (): Partial<WorkflowContext> => ({ waiting: null, budgetWaived: true }),
  /**
   * REQUEST_REVISION keeps the person's feedback for the step to redo (`target`) and grants its
   * loop one more round beyond the cap.
   */
  grantRound: ({ context, event }: MachineArgs, params: { validator: string | undefined; target: string }): Partial<WorkflowContext> => {
    const data = dataOf(event, 'HumanDecisionReceived');
    const feedback = { ...context.feedback, [params.target]: data?.feedback ?? '' };
    if (params.validator === undefined) return { waiting: null, feedback };
    return { waiting: null, feedback, granted: { ...context.granted, [params.validator]: (context.granted[params.validator] ?? 0) + 1 } };
  },
  complete: ({ event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'WorkflowCompleted');
    return data === undefined ? {} : { output: data.output, waiting: null };
  },
  fail: ({ context, event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'WorkflowFailed');
    return data === undefined ? {} : { reason: data.reason, error: data.error ?? context.error, waiting: null };
  },
  cancel: ({ event }: MachineArgs): Partial<WorkflowContext> => {
    const data = dataOf(event, 'WorkflowCancelled');
    return data === undefined ? {} : { reason: data.reason, waiting: null };
  },
};

/** The XState actions: each the `assign` of a context update above, and each other kind's own (`KIND_ACTIONS`). */
export const workflowActions = {
  start: assignUpdate(contextUpdates.start),
  stepStarted: assignUpdate(contextUpdates.stepStarted),
  stepCompleted: assignUpdate(contextUpdates.stepCompleted),
  stepFailed: assignUpdate(contextUpdates.stepFailed),
  callCompleted: assignUpdate(contextUpdates.callCompleted),
  revisionRequested: assignUpdate(contextUpdates.revisionRequested),
  humanInputRequested: assignUpdate(contextUpdates.humanInputRequested),
  humanDecided: assignUpdate(contextUpdates.humanDecided),
  waiveBudget: assignUpdate(contextUpdates.waiveBudget),
  grantRound: assignUpdate(contextUpdates.grantRound),
  attemptFailed: assignUpdate(contextUpdates.attemptFailed),
  complete: assignUpdate(contextUpdates.complete),
  fail: assignUpdate(contextUpdates.fail),
  cancel: assignUpdate(contextUpdates.cancel),
  ...KIND_ACTIONS,
} satisfies Record<keyof typeof contextUpdates, unknown>;

export const workflowSetup = setup({
  types: { context: {} as WorkflowContext, events: {} as WorkflowEvent },
  guards: workflowGuards,
  actions: workflowActions,
});
