import { acceptedCommands, commandToEvent, signalToEvent } from './commandToEvent.js';
import { type SendSignal, type WorkflowCommand, commandLabel, isCommandType } from './commands.js';
import type { WorkflowEvent } from './events.js';
import type { Folder } from './fold.js';
import { unknownSignal } from './structure.js';
import type { AnyWorkflowDefinition } from './workflowSpec.js';
import { type Decision, type StepDecisions, nextStep } from './nextStep.js';
import { type WorkflowSnapshot, stateLabel } from './snapshotView.js';

/**
 * Where settling stopped: work for the runtime (its StepStarted is the last event), a wait, or the
 * end. `workflowSpec`'s outcomes return it.
 */
export type Settled = {
  /** The machine snapshot after the events. */
  snapshot: WorkflowSnapshot;
  /** Events to append atomically, in order. */
  events: WorkflowEvent[];
  /** The state value after each event (same order), for metadata and subscribers. */
  values: unknown[];
  /**
   * What comes next: `{ kind: 'activity', step, iteration, attempt, idempotencyKey }`,
   * `{ kind: 'wait', step, accepts, wakeAt? }`, `{ kind: 'timer', step, at }`, `{ kind: 'done', status }`,
   * `{ kind: 'idle' }`, or, after a journaled call's `CallCompleted`, `{ kind: 'inFlight', step, iteration, attempt }`.
   */
  next: Exclude<Decision, { kind: 'append' }>;
};

export interface SettleOptions {
  /** Decision time (ISO), for due times and timeouts. */
  now?: string;
  /** The due time to record in a step's StepStarted, if it has a timeout. */
  timeoutAt?: (step: string) => string | undefined;
  /** False: stop before recording the next StepStarted (e.g. while shutting down); default true. */
  startActivity?: boolean;
  /** The definition's decisions (a sleep's due time, a signal's timeout, a route's choice): `definition.decisions`. */
  decisions?: StepDecisions;
}

const MAX_DECISIONS = 64;

/**
 * Applies `pending` events, then every automatic decision, up to and including the StepStarted of
 * the next activity. Pure: the same snapshot and options give the same events. The caller appends
 * them in one atomic append and only then treats the new snapshot as real.
 */
export function settle(folder: Folder, snapshot: WorkflowSnapshot, pending: readonly WorkflowEvent[], options: SettleOptions = {}): Settled {
  const events: WorkflowEvent[] = [];
  const values: unknown[] = [];
  let current = snapshot;
  const record = (event: WorkflowEvent) => {
    current = folder.apply(current, event);
    events.push(event);
    values.push(current.value);
  };
  for (const event of pending) record(event);
  // A journaled call changes nothing about what comes next: its step is still running (asking
  // nextStep now would start the step again, as it does for a step found running after a restart).
  const last = pending[pending.length - 1];
  if (last?.type === 'CallCompleted') {
    return { snapshot: current, events, values, next: { kind: 'inFlight', step: last.data.step, iteration: last.data.iteration, attempt: last.data.attempt } };
  }
  for (let guard = 0; guard < MAX_DECISIONS; guard++) {
    const decision = nextStep(current, options.now, options.decisions);
    if (decision.kind === 'append') {
      record(decision.event);
      continue;
    }
    if (decision.kind === 'activity' && options.startActivity !== false) {
      const timeoutAt = options.timeoutAt?.(decision.step);
      const started: WorkflowEvent = {
        type: 'StepStarted',
        data: {
          v: 1,
          step: decision.step,
          iteration: decision.iteration,
          attempt: decision.attempt,
          idempotencyKey: decision.idempotencyKey,
          ...(timeoutAt === undefined ? {} : { timeoutAt }),
        },
      };
      record(started);
    }
    return { snapshot: current, events, values, next: decision };
  }
  throw new Error(`More than ${MAX_DECISIONS} automatic decisions in a row from ${stateLabel(snapshot)}: the machine loops`);
}

export type CommandDecision =
  | { ok: true; event: WorkflowEvent }
  | { ok: false; code: 'COMMAND_NOT_ALLOWED'; message: string; state: string; accepts: string[] }
  | { ok: false; code: 'INVALID_COMMAND'; message: string; state: string; accepts: string[] }
  | { ok: false; code: 'UNKNOWN_COMMAND'; message: string; state: string; accepts: string[] };

/**
 * Maps a parsed command (or signal) to its recorded event and checks the machine accepts it now;
 * a signal's data is checked with its step's schema. A signal no step of `definition` waits for
 * is refused as one that does not exist, not as one that is not awaited yet.
 */
export function decideCommand(
  snapshot: WorkflowSnapshot,
  command: WorkflowCommand | SendSignal,
  definition: Pick<AnyWorkflowDefinition, 'signalSchema' | 'structure'>,
): CommandDecision {
  if (command.type === 'SIGNAL') {
    const decided = signalToEvent(command, snapshot, definition.signalSchema);
    if (decided?.ok === true && snapshot.can(decided.event)) return decided;
    if (decided?.ok === false)
      return { ok: false, code: 'INVALID_COMMAND', message: decided.message, state: stateLabel(snapshot), accepts: acceptedCommands(snapshot) };
    // A name the definition has no step for (a typo) is refused for good, not as "not now".
    const unknown = unknownSignal(definition.structure, command.signal);
    if (unknown === undefined) return notAllowed(snapshot, commandLabel(command));
    const accepts = snapshot.status === 'active' ? acceptedCommands(snapshot) : [];
    return { ok: false, code: 'UNKNOWN_COMMAND', message: `${unknown}${commandMeant(command.signal)}`, state: stateLabel(snapshot), accepts };
  }
  const event = commandToEvent(command, snapshot);
  if (snapshot.status === 'active' && snapshot.can(event)) return { ok: true, event };
  return notAllowed(snapshot, commandLabel(command));
}

function notAllowed(snapshot: WorkflowSnapshot, command: string): CommandDecision {
  const state = stateLabel(snapshot);
  const accepts = snapshot.status === 'active' ? acceptedCommands(snapshot) : [];
  const what = accepts.length === 0 ? 'it accepts no command now' : `it accepts ${accepts.join(', ')}`;
  return { ok: false, code: 'COMMAND_NOT_ALLOWED', message: `${command} is not allowed in state ${state}: ${what}`, state, accepts };
}

/** `approve` is read as a signal's name (signals are lower case); the person most likely meant the command. */
export function commandMeant(type: string): string {
  const meant = type.toUpperCase();
  return isCommandType(meant) ? ` (commands are upper case: did you mean ${meant}?)` : '';
}
