import { expect } from 'vitest';
import {
  type AnyWorkflowDefinition,
  type JsonValue,
  type SettleOptions,
  type WorkflowEvent,
  type WorkflowSnapshot,
  createFolder,
  decideCommand,
  parseCommand,
  settle,
  stateLabel,
  workflowStartedEvent,
} from '../../src/machines/index.js';

/**
 * Given/when/then for workflow machines (after emmett's DeciderSpecification): given recorded
 * events, when a command or an activity outcome, then the events that get recorded — the
 * command's own event, every automatic decision, and the next StepStarted — or a rejection.
 */
export function workflowSpec(definition: AnyWorkflowDefinition, options: SettleOptions & { workflowId?: string } = {}) {
  const folder = createFolder(definition.machine);
  const workflowId = options.workflowId ?? 'wf-1';

  const given = (...history: WorkflowEvent[]) => {
    const snapshot = folder.fold(history);
    const outcome = (pending: WorkflowEvent[]) => {
      const settled = settle(folder, snapshot, pending, options);
      return {
        then(expected: WorkflowEvent[]) {
          expect(settled.events).toEqual(expected);
          return settled;
        },
        thenState(label: string) {
          expect(stateLabel(settled.snapshot)).toBe(label);
          return settled;
        },
        settled,
      };
    };
    return {
      snapshot,
      /** A person's command: validated, mapped to its event, checked with `can`, then settled. */
      when(raw: unknown) {
        const parsed = parseCommand(raw);
        if (!parsed.ok) return rejected(parsed.code, parsed.message);
        const decided = decideCommand(snapshot, parsed.command);
        if (!decided.ok) return rejected(decided.code, decided.message, decided.state, decided.accepts);
        return { ...outcome([decided.event]), thenRejected: () => expect.fail(`${parsed.command.type} was accepted`) };
      },
      /** An activity's outcome (or any recorded event) arriving now. */
      whenRecorded: (...events: WorkflowEvent[]) => outcome(events),
      /** Nothing arrives: what does the runtime do from here (e.g. after a restart)? */
      whenResumed: () => outcome([]),
      thenState(label: string) {
        expect(stateLabel(snapshot)).toBe(label);
      },
    };
  };

  const rejected = (code: string, message: string, state?: string, accepts?: string[]) => ({
    then: (): never => expect.fail(`expected events, but the command was rejected: ${message}`),
    thenState: (): never => expect.fail(`expected a state, but the command was rejected: ${message}`),
    thenRejected(expected: { code: string; state?: string; accepts?: string[]; message?: RegExp }) {
      expect(code).toBe(expected.code);
      if (expected.state !== undefined) expect(state).toBe(expected.state);
      if (expected.accepts !== undefined) expect(accepts).toEqual(expected.accepts);
      if (expected.message !== undefined) expect(message).toMatch(expected.message);
    },
  });

  return {
    folder,
    given,
    /** Starting a workflow: WorkflowStarted plus whatever follows it automatically. */
    whenStarted(input: unknown) {
      const parsed = definition.input.parse(input) as JsonValue;
      const started = workflowStartedEvent(definition, workflowId, parsed, 'hash');
      return given().whenRecorded(started);
    },
    started: (input: unknown): WorkflowEvent => workflowStartedEvent(definition, workflowId, definition.input.parse(input) as JsonValue, 'hash'),
  };
}

/** Shorthands for recorded events in specs. */
export const ev = {
  stepStarted: (step: string, iteration = 1, attempt = 1, workflowId = 'wf-1', timeoutAt?: string): WorkflowEvent => ({
    type: 'StepStarted',
    data: { v: 1, step, iteration, attempt, idempotencyKey: `${workflowId}/${step}/${iteration}`, ...(timeoutAt === undefined ? {} : { timeoutAt }) },
  }),
  stepCompleted: (step: string, iteration: number, output: JsonValue, attempt = 1, extra: Record<string, unknown> = {}): WorkflowEvent =>
    ({ type: 'StepCompleted', data: { v: 1, step, iteration, attempt, output, ...extra } }) as WorkflowEvent,
  stepFailed: (step: string, iteration: number, code = 'BAD_REQUEST', attempt = 1): WorkflowEvent => ({
    type: 'StepFailed',
    data: { v: 1, step, iteration, attempt, error: { code, message: `${code} happened`, retryable: false } },
  }),
  revision: (step: string, by: string, iteration: number, feedback: string): WorkflowEvent => ({
    type: 'RevisionRequested',
    data: { v: 1, step, by, iteration, verdict: 'revise', feedback },
  }),
  cap: (step: string, iterations: number, maxIterations: number, policy: 'fail' | 'accept' | 'escalate'): WorkflowEvent => ({
    type: 'IterationCapReached',
    data: { v: 1, step, iterations, maxIterations, policy },
  }),
  inputRequested: (step: string, reason: string | RegExp, accepts: string[]): WorkflowEvent =>
    ({ type: 'HumanInputRequested', data: { v: 1, step, reason: typeof reason === 'string' ? reason : expect.stringMatching(reason), accepts } }) as WorkflowEvent,
  decision: (step: string, decision: 'approve' | 'reject' | 'request_revision', feedback?: string): WorkflowEvent => ({
    type: 'HumanDecisionReceived',
    data: { v: 1, step, decision, ...(feedback === undefined ? {} : { feedback }) },
  }),
  failed: (reason: string | RegExp, error?: { code: string; message: string; retryable: boolean }): WorkflowEvent =>
    ({ type: 'WorkflowFailed', data: { v: 1, reason: typeof reason === 'string' ? reason : expect.stringMatching(reason), ...(error === undefined ? {} : { error }) } }) as WorkflowEvent,
  cancelled: (reason: string): WorkflowEvent => ({ type: 'WorkflowCancelled', data: { v: 1, reason } }),
  completed: (output: JsonValue, artifact?: Record<string, unknown>): WorkflowEvent =>
    ({ type: 'WorkflowCompleted', data: { v: 1, output, ...(artifact === undefined ? {} : { artifact }) } }) as WorkflowEvent,
};

export type { WorkflowSnapshot };
