import type { JsonValue, RecordedEvent } from '../eventstore/index.js';
import {
  createFolder,
  defaultUpcasterRegistry,
  isEventNotAccepted,
  isTerminalEventType,
  type Folder,
  type UpcasterRegistry,
  type AnyWorkflowDefinition,
  type WorkflowMachine,
  type WorkflowSnapshot,
} from '../machines/index.js';
import { decodeEvent, ProjectionError, type DecodedEvent } from '../projections/index.js';
import { canonical, canonicalEquals } from './canonicalEquals.js';
import { checkDecision } from './checkDecision.js';

/** One folded event: the state before, the event, the state after. */
export interface ReplayTransition {
  revision: number;
  type: string;
  at: string;
  sender: string;
  /** Payload version as stored; below today's means the event was upcast. */
  payloadVersion: number;
  before: JsonValue;
  after: JsonValue;
  /** Iteration per step after the event (the machine's own immutable object: do not mutate). */
  iterations: Readonly<Record<string, number>>;
  /** The state value the writer recorded with the event, as the JSON text it recorded. */
  recordedState?: string;
  event: DecodedEvent['event'];
}

export interface Divergence {
  revision: number;
  reason: string;
}

export interface ReplayResult {
  workflowId: string;
  definition: string;
  version: number;
  /** Every folded transition, unless they were handed to `onTransition` as they were folded (then none). */
  transitions: ReplayTransition[];
  /** How many events were folded. */
  folded: number;
  /** The `to` revision asked for, if any. */
  to?: number;
  /** Revision of the stream's last event. */
  lastRevision: number;
  /** The state after the last folded event. */
  snapshot: WorkflowSnapshot;
  /** The first place the fold does not reproduce the record; replay stops there. */
  divergence?: Divergence;
}

export interface ReplayHistoryOptions {
  /** The definition version that wrote the stream: its machine, and its decisions (re-decided by `verify`). */
  definitionFor: (definition: string, version: number) => Pick<AnyWorkflowDefinition, 'machine' | 'decisions'> | undefined;
  upcasters?: UpcasterRegistry;
  /** Stop after this revision (time travel). */
  to?: number;
  /** Also check recorded state values, decisions and the terminal outcome against the fold. */
  verify?: boolean;
  /**
   * Receives each transition as it is folded, instead of the result keeping them: a stream of any
   * length then replays in constant memory (and the garbage collector copies no history around).
   */
  onTransition?: (transition: ReplayTransition) => void;
}

/** A replay fed page by page (a long stream need not be held in memory): `next` says whether to read on. */
export interface ReplayFold {
  /** The definition version folding the stream (from its WorkflowStarted). */
  readonly definition: string;
  readonly version: number;
  /** Folds the next events of the stream, in order; false once the replay stopped (`to` reached, or a divergence). */
  next(events: readonly RecordedEvent[]): boolean;
  /** Ends the replay; `lastRevision` is the revision of the stream's last event. */
  result(lastRevision: number): ReplayResult;
}

/**
 * A pure fold of a recorded stream through the machine version that wrote it: no store, no model,
 * no artifact, no clock. Events are upcast on read exactly as the engine and the projections read them; with
 * `verify` they are also validated against today's schemas (a plain replay trusts the stream, as
 * the engine's rehydration does, and lets the machine be the check).
 *
 * Plain and `verify` replays fold with the engine's own `createFolder`, so a replay is the engine's
 * rehydration and nothing else; `verify` also re-decides every automatic event from the snapshot.
 */
export function replayHistory(workflowId: string, events: readonly RecordedEvent[], options: ReplayHistoryOptions): ReplayResult {
  const fold = startReplay(workflowId, events[0], options);
  fold.next(events);
  return fold.result(events[events.length - 1]!.revision);
}

/** `replayHistory` in steps: `first` is the stream's first event, which names the definition version to fold with. */
export function startReplay(workflowId: string, first: RecordedEvent | undefined, options: ReplayHistoryOptions): ReplayFold {
  const upcasters = options.upcasters ?? defaultUpcasterRegistry();
  if (first === undefined) throw new ProjectionError('HISTORY_NOT_FOUND', `Workflow ${workflowId} has no recorded events`);
  const started = decodeEvent(first, upcasters);
  if (!started.ok || started.decoded.event.type !== 'WorkflowStarted') {
    throw new ProjectionError(
      'INVALID_HISTORY',
      `Workflow ${workflowId} does not begin with a readable WorkflowStarted (revision ${first.revision} is ${first.type})`,
    );
  }
  const { definition, version } = started.decoded.event.data;
  const found = options.definitionFor(definition, version);
  const machine = found?.machine;
  if (machine === undefined) {
    throw new ProjectionError(
      'DEFINITION_NOT_REGISTERED',
      `Workflow ${workflowId} was written by ${definition} v${version}, which is not registered: register that version to replay it`,
    );
  }
  const verify = options.verify === true;
  const folder = folderFor(machine);
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const transitions: ReplayTransition[] = [];
  const keep = options.onTransition ?? ((transition: ReplayTransition) => void transitions.push(transition));
  let folded = 0;
  let lastType: string | undefined;
  let snapshot = folder.initial();
  let divergence: Divergence | undefined;
  let stopped = false;

  /** Folds one event; returns why the fold does not reproduce it, if it does not. */
  const fold = (recorded: RecordedEvent): Divergence | undefined => {
    const decoded = decodeEvent(recorded, upcasters, { trusted: !verify });
    if (!decoded.ok) return { revision: recorded.revision, reason: `cannot read ${recorded.type}: ${decoded.reason} (${decoded.detail})` };
    const { event, metadata } = decoded.decoded;
    if (verify && folded !== recorded.revision) {
      return { revision: recorded.revision, reason: `revision ${recorded.revision} follows revision ${folded - 1}: the stream has a gap` };
    }
    const before = snapshot;
    if (verify) {
      const wrong = checkDecision(before, event, metadata.at, found?.decisions);
      if (wrong !== undefined) return { revision: recorded.revision, reason: wrong };
    }
    try {
      snapshot = folder.apply(before, event);
    } catch (error) {
      const reason = isEventNotAccepted(error) ? error.message : `the machine failed on ${event.type}: ${(error as Error).message}`;
      return { revision: recorded.revision, reason };
    }
    const recordedState = metadata.state;
    const transition: ReplayTransition = {
      revision: recorded.revision,
      type: event.type,
      at: metadata.at,
      sender: metadata.sender,
      payloadVersion: decoded.decoded.storedVersion,
      before: before.value as JsonValue,
      after: snapshot.value as JsonValue,
      iterations: snapshot.context.iterations,
      event,
    };
    if (recordedState !== undefined) transition.recordedState = recordedState;
    keep(transition);
    folded += 1;
    lastType = event.type;
    if (verify && recordedState !== undefined && !sameState(recordedState, snapshot.value)) {
      return { revision: recorded.revision, reason: `recorded state ${canonical(parseState(recordedState))}, replay gives ${canonical(snapshot.value)}` };
    }
    return undefined;
  };

  return {
    definition,
    version,
    next(events) {
      for (const recorded of events) {
        if (stopped) break;
        if (recorded.revision > to) stopped = true;
        else if ((divergence = fold(recorded)) !== undefined) stopped = true;
        else if (recorded.revision === to) stopped = true;
      }
      return !stopped;
    },
    result(lastRevision) {
      if (divergence === undefined && verify && options.to === undefined) {
        const terminal = isTerminalEventType(lastType);
        if (terminal !== (snapshot.status === 'done')) {
          divergence = {
            revision: lastRevision,
            reason: terminal
              ? `the stream ends with ${lastType} but the machine is still ${canonical(snapshot.value)}`
              : `the machine finished in ${canonical(snapshot.value)} without a terminal event`,
          };
        }
      }
      return {
        workflowId,
        definition,
        version,
        transitions,
        folded,
        ...(options.to === undefined ? {} : { to: options.to }),
        lastRevision,
        snapshot,
        ...(divergence === undefined ? {} : { divergence }),
      };
    },
  };
}

const folders = new WeakMap<WorkflowMachine, Folder>();
function folderFor(machine: WorkflowMachine): Folder {
  let folder = folders.get(machine);
  if (folder === undefined) folders.set(machine, (folder = createFolder(machine)));
  return folder;
}

/** The writer usually serialised the value exactly as we would: compare text first, structure only if that differs. */
const sameState = (recorded: string, value: unknown): boolean => recorded === JSON.stringify(value) || canonicalEquals(parseState(recorded), value);

function parseState(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}
