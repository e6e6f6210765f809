import type { z } from 'zod';
import type { JsonValue } from '../eventstore/index.js';
import type { ArtifactRef, CallKind, ErrorInfo, LlmAccounting, Policies } from './events.js';

// The JSON types belong to the event store (every event is JSON); the machines speak them too.
export type { JsonValue };

/** Why a workflow waits: for a person (a loop's cap, the budget, an approval gate) or for a signal. */
export type WaitKind = 'cap' | 'budget' | 'approval' | 'signal';

export interface InFlightStep {
  step: string;
  iteration: number;
  attempt: number;
  timeoutAt?: string;
  /** The attempt failed and the retry policy runs the next attempt at this time (ISO). */
  retryAt?: string;
  /**
   * What the iteration's failed attempts had spent, as their `StepFailed` totalled it, already in
   * `usage`: a later outcome of the iteration totals those calls again and adds only the rest.
   */
  counted?: Usage;
}

/** Model usage as the workflow counts it. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/**
 * A journaled call of the step in flight, as its `CallCompleted` recorded it: what a re-run of the
 * step gets back instead of calling again. Exactly one of `output` and `error` is present.
 */
export interface RecordedCall {
  /** The fan-out item that made it (`doc/3`), whose own journal it is in; absent for the step's own calls. */
  item?: string;
  call: string;
  kind: z.infer<typeof CallKind>;
  seq: number;
  /** The attempt that made the call. */
  attempt: number;
  output?: JsonValue;
  error?: z.infer<typeof ErrorInfo>;
  llm?: z.infer<typeof LlmAccounting>;
}

export interface Routing {
  /** Per route step: where it last sent the workflow and how many back-edges it took. */
  routes: Record<string, { to: string; loops: number }>;
  /**
   * Per producing step sent back by a route: the iteration its validating loop counts from (its
   * cap applies per pass of the route).
   */
  iterationBase: Record<string, number>;
}

/**
 * The machine's context: everything a decision needs, and nothing that does not come from a
 * recorded event. Folding the stream rebuilds it exactly.
 */
export interface WorkflowContext {
  workflowId: string;
  input: JsonValue;
  inputHash: string;
  policies: Policies;
  /** Current iteration per step; a validating step shares its producer's iteration. */
  iterations: Record<string, number>;
  /** Extra rounds a person granted per validating step (REQUEST_REVISION after a cap). */
  granted: Record<string, number>;
  /** Latest output per step. */
  outputs: Record<string, JsonValue>;
  /** Latest artifact per step. */
  artifacts: Record<string, z.infer<typeof ArtifactRef>>;
  /** Feedback waiting for a producing step's next iteration. */
  feedback: Record<string, string>;
  /** The last StepStarted: the activity in flight, or the one that just finished. */
  current: InFlightStep | null;
  /**
   * The journal of the step iteration in flight: its recorded calls in the order they were
   * recorded, kept across re-run attempts and cleared by the step's outcome.
   */
  calls: readonly RecordedCall[];
  usage: Usage;
  /** A person approved going over the budget: do not stop for it again. */
  budgetWaived: boolean;
  waiting: { step: string; kind: WaitKind; revisable: boolean; accepts: string[]; signal?: string; timeoutAt?: string } | null;
  /** The `sleep` step in progress and its due time; absent until a workflow first sleeps. */
  sleeping?: { step: string; until: string } | null;
  /** What `route` steps decided; absent until a route runs. */
  routing?: Routing;
  error: z.infer<typeof ErrorInfo> | null;
  reason: string | null;
  output: JsonValue | null;
}

/**
 * The calls a retried attempt runs again instead of replaying: the iteration's last recorded call
 * of the step's own, when it is a `ctx.run` (or a fan-out item) whose final outcome was a retryable
 * error — the call the attempt failed on — and, for an item, by the same rule within the item, the
 * item's last call. One the step caught and went past (a later call is recorded) stays replayed.
 */
export function rerunOnRetry(calls: readonly RecordedCall[]): RecordedCall[] {
  const failedOn = (item: string | undefined): RecordedCall | undefined => {
    for (let index = calls.length - 1; index >= 0; index--) {
      const call = calls[index] as RecordedCall;
      if (call.item === item) return call.kind === 'run' && call.error?.retryable === true ? call : undefined;
    }
    return undefined;
  };
  const last = failedOn(undefined);
  if (last === undefined) return [];
  const inItem = failedOn(last.call);
  return inItem === undefined ? [last] : [last, inItem];
}

/** A journaled call's name as people read it: a fan-out item's call under its item's (`doc/3/fetch`). */
export const callPath = (call: { item?: string | undefined; call: string }): string => (call.item === undefined ? call.call : `${call.item}/${call.call}`);

export const EMPTY_POLICIES: Policies = { loops: {}, approvals: {} };
/** The empty journal, shared (frozen: contexts are never changed in place). */
export const NO_CALLS: readonly RecordedCall[] = Object.freeze([]);

export const initialContext = (): WorkflowContext => ({
  workflowId: '',
  input: null,
  inputHash: '',
  policies: EMPTY_POLICIES,
  iterations: {},
  granted: {},
  outputs: {},
  artifacts: {},
  feedback: {},
  current: null,
  calls: NO_CALLS,
  usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  budgetWaived: false,
  waiting: null,
  error: null,
  reason: null,
  output: null,
});
