import { and, assign, setup } from 'xstate';
import { EMPTY_POLICIES, type WaitKind, type WorkflowContext, initialContext } from './context.js';
import type { WorkflowEvent, WorkflowEventOf, WorkflowEventType } from './events.js';

type PayloadOf<T extends WorkflowEventType> = WorkflowEventOf<T>['data'];
function dataOf<T extends WorkflowEventType>(event: WorkflowEvent, type: T): PayloadOf<T> | undefined {
  const data: unknown = event.type === type ? event.data : undefined;
  return data as PayloadOf<T> | undefined;
}
const stepOf = (event: WorkflowEvent): string | undefined => ('step' in event.data ? event.data.step : undefined);

const addUsage = (usage: WorkflowContext['usage'], llm: PayloadOf<'StepCompleted'>['llm']): WorkflowContext['usage'] =>
  llm === undefined
    ? usage
    : { inputTokens: usage.inputTokens + llm.inputTokens, outputTokens: usage.outputTokens + llm.outputTokens, costUsd: usage.costUsd + llm.costUsd };

const without = (record: Record<string, string>, key: string): Record<string, string> => {
  if (!(key in record)) return record;
  const { [key]: _removed, ...rest } = record;
  return rest;
};

/**
 * Guards and actions shared by every compiled workflow machine. All are pure functions of the
 * context and the recorded event, named and parameterized so the inspector shows them as data.
 */
export const workflowSetup = setup({
  types: { context: {} as WorkflowContext, events: {} as WorkflowEvent },
  guards: {
    isStep: ({ event }, params: { step: string }) => stepOf(event) === params.step,
    /** The start of a step at the iteration its loop is at. */
    isStartOf: ({ context, event }, params: { step: string; loop: string }) => {
      const data = dataOf(event, 'StepStarted');
      return data !== undefined && data.step === params.step && data.iteration === (context.iterations[params.loop] ?? 1);
    },
    /** A re-run of the step in flight (after a crash or restart): same iteration, a later attempt. */
    isRerunOf: ({ context, event }, params: { step: string }) => {
      const data = dataOf(event, 'StepStarted');
      const current = context.current;
      return data !== undefined && current !== null && data.step === params.step && current.step === params.step && data.iteration === current.iteration && data.attempt > current.attempt;
    },
    /** The outcome of the attempt in flight; outcomes of superseded attempts are not accepted. */
    isOutcomeOf: ({ context, event }, params: { step: string }) => {
      const current = context.current;
      if (current === null || current.step !== params.step || (event.type !== 'StepCompleted' && event.type !== 'StepFailed')) return false;
      return event.data.step === params.step && event.data.iteration === current.iteration && event.data.attempt === current.attempt;
    },
    isRevisionOf: ({ context, event }, params: { step: string }) => {
      const data = dataOf(event, 'RevisionRequested');
      return data !== undefined && data.step === params.step && data.iteration === (context.iterations[params.step] ?? 1);
    },
    verdictIs: ({ context }, params: { step: string; verdict: 'approve' | 'revise' }) => {
      const output = context.outputs[params.step];
      return typeof output === 'object' && output !== null && !Array.isArray(output) && output.verdict === params.verdict;
    },
    capPolicyIs: ({ context }, params: { step: string; policy: 'fail' | 'accept' | 'escalate' }) => context.policies.loops[params.step]?.onCap === params.policy,
    gateEnabled: ({ context }, params: { gate: string; enabled: boolean }) => (context.policies.approvals[params.gate] ?? false) === params.enabled,
    isDecision: ({ event }, params: { step: string; decision: 'approve' | 'reject' | 'request_revision' }) => {
      const data = dataOf(event, 'HumanDecisionReceived');
      return data !== undefined && data.step === params.step && data.decision === params.decision;
    },
    waitingFor: ({ context }, params: { kind: WaitKind }) => context.waiting?.kind === params.kind,
    canRevise: ({ context }) => context.waiting?.revisable === true,
  },
  actions: {
    start: assign(({ event }) => {
      const data = dataOf(event, 'WorkflowStarted');
      if (data === undefined) return {};
      return {
        ...initialContext(),
        workflowId: data.workflowId,
        definition: data.definition,
        version: data.version,
        input: data.input,
        inputHash: data.inputHash,
        policies: data.policies ?? EMPTY_POLICIES,
      };
    }),
    stepStarted: assign(({ context, event }) => {
      const data = dataOf(event, 'StepStarted');
      if (data === undefined) return {};
      const current = data.timeoutAt === undefined
        ? { step: data.step, iteration: data.iteration, attempt: data.attempt }
        : { step: data.step, iteration: data.iteration, attempt: data.attempt, timeoutAt: data.timeoutAt };
      return { current, iterations: context.iterations[data.step] === data.iteration ? context.iterations : { ...context.iterations, [data.step]: data.iteration } };
    }),
    stepCompleted: assign(({ context, event }) => {
      const data = dataOf(event, 'StepCompleted');
      if (data === undefined) return {};
      return {
        outputs: { ...context.outputs, [data.step]: data.output },
        artifacts: data.artifact === undefined ? context.artifacts : { ...context.artifacts, [data.step]: data.artifact },
        feedback: without(context.feedback, data.step),
        usage: addUsage(context.usage, data.llm),
      };
    }),
    stepFailed: assign(({ context, event }) => {
      const data = dataOf(event, 'StepFailed');
      if (data === undefined) return {};
      return { error: data.error, usage: addUsage(context.usage, data.llm) };
    }),
    revisionRequested: assign(({ context, event }) => {
      const data = dataOf(event, 'RevisionRequested');
      if (data === undefined) return {};
      return {
        iterations: { ...context.iterations, [data.step]: data.iteration + 1 },
        feedback: { ...context.feedback, [data.step]: data.feedback },
        waiting: null,
      };
    }),
    humanInputRequested: assign(({ event }, params: { kind: WaitKind }) => {
      const data = dataOf(event, 'HumanInputRequested');
      if (data === undefined) return {};
      return { waiting: { step: data.step, kind: params.kind, revisable: data.accepts.includes('REQUEST_REVISION'), accepts: data.accepts } };
    }),
    humanDecided: assign({ waiting: null }),
    waiveBudget: assign({ waiting: null, budgetWaived: true }),
    /**
     * REQUEST_REVISION keeps the person's feedback for the step to redo (`target`) and grants its
     * loop one more round beyond the cap.
     */
    grantRound: assign(({ context, event }, params: { validator: string | undefined; target: string }) => {
      const data = dataOf(event, 'HumanDecisionReceived');
      const feedback = { ...context.feedback, [params.target]: data?.feedback ?? '' };
      if (params.validator === undefined) return { waiting: null, feedback };
      return { waiting: null, feedback, granted: { ...context.granted, [params.validator]: (context.granted[params.validator] ?? 0) + 1 } };
    }),
    complete: assign(({ event }) => {
      const data = dataOf(event, 'WorkflowCompleted');
      return data === undefined ? {} : { output: data.output, waiting: null };
    }),
    fail: assign(({ context, event }) => {
      const data = dataOf(event, 'WorkflowFailed');
      return data === undefined ? {} : { reason: data.reason, error: data.error ?? context.error, waiting: null };
    }),
    cancel: assign(({ event }) => {
      const data = dataOf(event, 'WorkflowCancelled');
      return data === undefined ? {} : { reason: data.reason, waiting: null };
    }),
  },
});

export { and };
