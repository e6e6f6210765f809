import { createActor, initialTransition, transition } from 'xstate';
import type { WorkflowMachine } from './compileMachine.js';
import type { WorkflowEvent } from './events.js';
import type { WorkflowSnapshot } from './snapshotView.js';

/**
 * Folding recorded events through a machine: state = fold(events). `createFolder` gives the same
 * results as XState's pure `transition`/`initialTransition` but builds the inert actor scope once
 * per machine instead of once per event, which is what makes rehydration, replay and the engine's
 * hot path cheap (`npm run bench -- projections --only replay` prints both per event, same run).
 * That scope is XState's @internal shape, copied: test/machines/fold.unit.test.ts fails when an
 * XState upgrade changes it or makes the two folds disagree.
 */
export interface Folder extends Fold<WorkflowSnapshot> {
  readonly machine: WorkflowMachine;
  /** A JSON-safe snapshot for a cache; the stream stays the source of truth. */
  persist(snapshot: WorkflowSnapshot): unknown;
  restore(persisted: unknown): WorkflowSnapshot;
}

/** What a fold yields of a state: the part of XState's snapshot that replay and the read side look at. */
export type FoldedState = Pick<WorkflowSnapshot, 'value' | 'context' | 'status'>;

export interface Fold<S extends FoldedState> {
  initial(): S;
  /** The state after `event`; throws EventNotAcceptedError when the machine does not accept it. */
  apply(state: S, event: WorkflowEvent): S;
  fold(events: Iterable<WorkflowEvent>, from?: S): S;
}

export class EventNotAcceptedError extends Error {
  readonly code = 'EVENT_NOT_ACCEPTED';
  readonly eventType: string;
  readonly state: unknown;
  /** The step the event names, when it names one. */
  readonly step: string | undefined;
  /** `where`: which event of a history it is, for the message. */
  constructor(eventType: string, state: unknown, options: { step?: string | undefined; where?: string } = {}) {
    const step = options.step === undefined ? '' : ` (the event of step "${options.step}")`;
    super(`${options.where === undefined ? '' : `${options.where}: `}The machine does not accept ${eventType} in state ${JSON.stringify(state)}${step}`);
    this.step = options.step;
    this.name = 'EventNotAcceptedError';
    this.eventType = eventType;
    this.state = state;
  }
}

export const isEventNotAccepted = (error: unknown): error is EventNotAcceptedError =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EVENT_NOT_ACCEPTED';

type Scope = Parameters<WorkflowMachine['transition']>[2];

export function createFolder(machine: WorkflowMachine): Folder {
  // Same shape as XState's own inert scope in `transition` (`createInertActorScope`, @internal):
  // nothing is executed, nothing is spawned. The fold test compares the two scopes' members.
  const self = createActor(machine);
  const scope = {
    self,
    defer: () => {},
    id: '',
    logger: () => {},
    sessionId: '',
    stopChild: () => {},
    system: self.system,
    emit: () => {},
    actionExecutor: () => {},
  } as unknown as Scope;

  const apply = (snapshot: WorkflowSnapshot, event: WorkflowEvent): WorkflowSnapshot => {
    const next = machine.transition(snapshot, event, scope);
    // XState returns the very same snapshot when no transition is enabled.
    if (next === snapshot) throw notAccepted(event, snapshot.value);
    if (next.status === 'error') throw next.error instanceof Error ? next.error : new Error(String(next.error));
    return next;
  };
  // Snapshots are immutable (every transition copies), so one initial snapshot serves every workflow.
  let initialSnapshot: WorkflowSnapshot | undefined;
  const initial = (): WorkflowSnapshot => {
    if (initialSnapshot === undefined) freezeContext((initialSnapshot = machine.getInitialSnapshot(scope)).context);
    return initialSnapshot;
  };
  return {
    machine,
    initial,
    apply,
    fold(events, from) {
      let snapshot = from ?? initial();
      for (const event of events) snapshot = apply(snapshot, event);
      return snapshot;
    },
    persist: (snapshot) => machine.getPersistedSnapshot(snapshot),
    restore: (persisted) => machine.restoreSnapshot(persisted as never, scope) as WorkflowSnapshot,
  };
}

/** The refusal of `event` in `state`, naming the step the event is for. */
export function notAccepted(event: WorkflowEvent, state: unknown): EventNotAcceptedError {
  const step = (event.data as { step?: unknown } | undefined)?.step;
  return new EventNotAcceptedError(event.type, state, typeof step === 'string' ? { step } : {});
}

/** Guards a shared initial context against a caller mutating it in place. */
export function freezeContext<C extends object>(context: C): C {
  for (const value of Object.values(context)) if (typeof value === 'object' && value !== null) Object.freeze(value);
  return Object.freeze(context);
}

/** The reference fold with XState's public pure API, one inert actor per event: slow, for tests and audits. */
export function foldWithTransition(machine: WorkflowMachine, events: Iterable<WorkflowEvent>): WorkflowSnapshot {
  let [snapshot] = initialTransition(machine);
  for (const event of events) [snapshot] = transition(machine, snapshot, event);
  return snapshot;
}
