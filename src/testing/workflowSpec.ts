import { fail, strictEqual } from 'node:assert/strict';
import {
  type AnyWorkflowDefinition,
  type JsonValue,
  type SettleOptions,
  type Settled,
  type WorkflowEvent,
  type WorkflowSnapshot,
  EventNotAcceptedError,
  createFolder,
  decideCommand,
  isEventNotAccepted,
  parseCommand,
  settle,
  stateLabel,
  workflowStartedEvent,
} from '../machines/index.js';
import { assertMatches } from './matchExpected.js';

/** What a rejected command must look like; omitted fields are not checked. */
export interface ExpectedRejection {
  /** `UNKNOWN_COMMAND`, `INVALID_COMMAND` or `COMMAND_NOT_ALLOWED`. */
  code: string;
  /** The state label it was refused in, e.g. `draft.running`. */
  state?: string;
  /** The commands accepted there. */
  accepts?: string[];
  /** The rejection's message: equal to a string, or matching a RegExp. */
  message?: string | RegExp;
}

/**
 * The outcome of a `when`: check the recorded events, the state reached, or a rejection. Each
 * check throws node's `AssertionError` when it fails. It has a `then` method, so do not `await`
 * it: call a check directly.
 */
export interface SpecOutcome {
  /** The events that get recorded, in order: the command's own, every automatic decision, the next StepStarted. A RegExp matches a string field. */
  then(expected: WorkflowEvent[]): Settled;
  /** The state label reached, e.g. `review.waiting` or `completed`. */
  thenState(label: string): Settled;
  /** The command was refused, as `expected` says; nothing would be recorded. */
  thenRejected(expected: ExpectedRejection): void;
  /** What was settled (recorded events and the snapshot), to inspect freely; throws if the command was rejected. */
  readonly settled: Settled;
}

/** A workflow folded from a given history, ready for a `when`. */
export interface GivenHistory {
  /** The state the history folds to. */
  readonly snapshot: WorkflowSnapshot;
  /** A person's command (`{ type: 'APPROVE' }`, …): validated, mapped to its event, checked against the state, then settled. */
  when(command: unknown): SpecOutcome;
  /** An activity's outcome (or any recorded event) arriving now; throws `EventNotAcceptedError` if the machine does not accept it. */
  whenRecorded(...events: WorkflowEvent[]): SpecOutcome;
  /** Nothing arrives: what the runtime does from here, e.g. after a restart. */
  whenResumed(): SpecOutcome;
  /** The state label the history folds to. */
  thenState(label: string): void;
}

/** Given/when/then over one definition's machine; made by {@link workflowSpec}. */
export interface WorkflowSpecification {
  /**
   * Start from these recorded events (none: a workflow not started yet). Throws (an
   * `EventNotAcceptedError`, code `EVENT_NOT_ACCEPTED`) if the machine does not accept them in order.
   */
  given(...history: WorkflowEvent[]): GivenHistory;
  /** Starting a workflow with this input: WorkflowStarted plus whatever follows it automatically. Throws zod's error for an invalid input. */
  whenStarted(input: unknown): SpecOutcome;
  /** The WorkflowStarted event this input records (parsed and defaulted by the schema), to begin a `given` history. Throws zod's error for an invalid input. */
  started(input: unknown): WorkflowEvent;
}

/** The decision time of a spec given none: the start of `createManualClock`, so specs never read the real clock. */
export const SPEC_NOW = '2030-01-01T00:00:00.000Z';

/**
 * Options of {@link workflowSpec}: the settle options (`now`, the ISO decision time that fires
 * recorded due times, that a sleep step's `for` and a signal's timeout count from, and that
 * `started` derives deadlines from — default {@link SPEC_NOW}, 2030-01-01T00:00:00.000Z;
 * `timeoutAt(step)`, the due time to record in a StepStarted;
 * `startActivity: false` to stop before the next StepStarted) and the workflow id.
 */
export interface WorkflowSpecOptions extends SettleOptions {
  /** The workflow id in idempotency keys (default `wf-1`, as the `ev` builders assume). */
  workflowId?: string;
}

/**
 * Given/when/then for a workflow definition's machine (after emmett's DeciderSpecification): given
 * recorded events, when a command or an activity outcome, then the events that get recorded — or a
 * rejection. Pure: no store, no model, no step function runs. Failures throw node's
 * `AssertionError`, so any test runner (node:test, vitest, jest) reports them.
 */
export function workflowSpec(definition: AnyWorkflowDefinition, options: WorkflowSpecOptions = {}): WorkflowSpecification {
  const folder = createFolder(definition.machine);
  const workflowId = options.workflowId ?? 'wf-1';
  const now = options.now ?? SPEC_NOW;
  const settleOptions: SettleOptions = { decisions: definition.decisions, ...options, now };

  const outcomeOf = (snapshot: WorkflowSnapshot, pending: WorkflowEvent[]): SpecOutcome => {
    const settled = settle(folder, snapshot, pending, settleOptions);
    return {
      then(expected) {
        assertMatches(settled.events, expected);
        return settled;
      },
      thenState(label) {
        strictEqual(stateLabel(settled.snapshot), label);
        return settled;
      },
      thenRejected: () => fail(`expected a rejection, but ${pending.map((event) => event.type).join(', ') || 'nothing'} was accepted`),
      settled,
    };
  };

  const rejected = (code: string, message: string, state?: string, accepts?: string[]): SpecOutcome => ({
    then: () => fail(`expected events, but the command was rejected: ${message}`),
    thenState: () => fail(`expected a state, but the command was rejected: ${message}`),
    thenRejected(expected) {
      strictEqual(code, expected.code, message);
      if (expected.state !== undefined) strictEqual(state, expected.state);
      if (expected.accepts !== undefined) assertMatches(accepts, expected.accepts);
      if (typeof expected.message === 'string') strictEqual(message, expected.message);
      else if (expected.message !== undefined && !expected.message.test(message)) fail(`the rejection "${message}" does not match ${String(expected.message)}`);
    },
    get settled(): Settled {
      return fail(`the command was rejected: ${message}`);
    },
  });

  const given = (...history: WorkflowEvent[]): GivenHistory => {
    let snapshot = folder.initial();
    history.forEach((event, index) => {
      try {
        snapshot = folder.apply(snapshot, event);
      } catch (error) {
        if (!isEventNotAccepted(error)) throw error;
        // Which of the given events, so a long history's mistake is found at once.
        throw new EventNotAcceptedError(error.eventType, error.state, { step: error.step, where: `given event ${index + 1} of ${history.length}` });
      }
    });
    return {
      snapshot,
      when(raw) {
        const parsed = parseCommand(raw);
        if (!parsed.ok) return rejected(parsed.code, parsed.message);
        const decided = decideCommand(snapshot, parsed.command, definition);
        if (!decided.ok) return rejected(decided.code, decided.message, decided.state, decided.accepts);
        return outcomeOf(snapshot, [decided.event]);
      },
      whenRecorded: (...events) => outcomeOf(snapshot, events),
      whenResumed: () => outcomeOf(snapshot, []),
      thenState(label) {
        strictEqual(stateLabel(snapshot), label);
      },
    };
  };

  const started = (input: unknown): WorkflowEvent =>
    workflowStartedEvent(
      definition,
      workflowId,
      definition.input.parse(input) as JsonValue,
      'hash',
      // Deadlines are derived from the spec's decision time.
      new Date(now),
    );
  return { given, whenStarted: (input) => given().whenRecorded(started(input)), started };
}
