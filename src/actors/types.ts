import type { AppendFence, RecordedEvent } from '../eventstore/index.js';
import type { Observable } from 'rxjs';
import type { Clock } from './clock.js';
import type { Logger } from 'winston';
import type { ArtifactStore } from '../artifacts/index.js';
import type { EventStore } from '../eventstore/index.js';
import type { LlmProvider } from '../llm/index.js';
import type {
  AnyWorkflowDefinition,
  StartInput,
  WaitKind,
  DefinitionRegistry,
  JsonValue,
  WorkflowContext,
  WorkflowEvent,
  WorkflowEventMetadata,
  WorkflowStatus,
  WorkflowCommandInput,
} from '../machines/index.js';

/**
 * The engine's default retry policy: for a step without its own `retry` (see `RetryPolicy`), each
 * retry a new recorded attempt after its backoff; and for a `ctx.run` function inside its call
 * (cockatiel `retry` with exponential backoff; only the call's final outcome is recorded). Which
 * errors retry: a `RetryableError`, an error flagged `retryable: true`, a network or timeout error;
 * never a `TerminalError`, a programming error, an `LlmError` (the model provider's policy retries
 * those: retrying here would multiply the calls) or a journaled call's recorded error.
 */
export interface RetryOptions {
  /** Attempts of a step (calls of a `ctx.run` function), the first included (default 3; 1 turns retries off). */
  maxAttempts?: number;
  /** First backoff delay in ms (default 200); doubles each retry. */
  initialDelayMs?: number;
  /** Largest backoff delay in ms (default 5,000; never below `initialDelayMs`, the step's when it sets one). */
  maxDelayMs?: number;
}

/** What `createEngine` needs: its ports and definitions, and a few limits. */
export interface EngineOptions {
  /**
   * Where workflows are recorded (`openEventStore`, `createMemoryEventStore`). Run one engine per
   * store, or several, each with its `ownership` (see `Engine.recover` and docs/scaling.md).
   */
  store: EventStore;
  /** The model every `ctx.complete` goes to. */
  llm: LlmProvider;
  /** Where `ctx.putArtifact` writes and outputs over `maxInlineOutputBytes` go. */
  artifacts: ArtifactStore;
  /** Lifecycle events at `info`, every other recorded event at `debug`, each with `workflowId` and `revision`. */
  logger: Logger;
  /** Every version of every definition the store's workflows may name; `start` registers a definition object it is given. */
  definitions: DefinitionRegistry;
  /** The clock for recorded times and due times (inject one in tests); ignored when `clock` is given. */
  now?: () => Date;
  /**
   * Time and timers: what wakes sleeping workflows, retries and timeouts at their recorded due
   * times. Default: the system clock. Tests pass `createManualClock()` from `ecl-workflows/testing`.
   */
  clock?: Clock;
  /** Event and workflow ids; must return UUIDs (the store requires them for event ids). */
  newId?: () => string;
  /** Retries of plain `run` errors inside an attempt; see {@link RetryOptions}. */
  retry?: RetryOptions;
  /** Waiting workflows kept in memory; beyond this the least recently used are passivated (default 10,000). */
  maxIdleActors?: number;
  /** Write a snapshot to the side stream every this many events of a workflow (default 1,000). */
  snapshotEvery?: number;
  /**
   * Advance the recovery checkpoint (a scan of the log since the last one, in the background)
   * after this engine recorded this many events (default 100,000; 0: only `recover()` writes one).
   * The next `recover()` scans the log from it instead of from the start (docs/engine.md).
   */
  recoveryCheckpointEvery?: number;
  /**
   * Outputs larger than this many bytes go to the artifact store as `outputs/<step>-<iteration>`
   * (default 64 KiB); the event keeps their hash and a preview, and later steps get them back.
   */
  maxInlineOutputBytes?: number;
  /**
   * Several engines on one store (`src/cluster`): which workflows this one drives. Without it the
   * engine drives every workflow it touches, as a single process does.
   */
  ownership?: WorkflowOwnership;
}

/**
 * Which workflows an engine drives when several share a store (docs/scaling.md). A workflow it
 * does not own is still read, started and sent commands (their events are recorded through the
 * store's optimistic concurrency), but its steps and timers run on the owner, which follows the
 * log (`Engine.noticeAppend`).
 */
export interface WorkflowOwnership {
  /** The fence this engine's appends to the workflow carry while it holds the workflow's lease; undefined when it does not. */
  fenceFor(workflowId: string): AppendFence | undefined;
  /** An append with `fence` failed with LEASE_LOST: the partition is gone; stop handing out its fence. */
  lost(fence: AppendFence): void;
  /** Told the event ids of every workflow append before it is made: the log follower then passes on only other writers' events. */
  recording?(eventIds: readonly string[]): void;
  /** Told the event ids of an append that failed. */
  notRecorded?(eventIds: readonly string[]): void;
  /**
   * A workflow this engine drives starts a child (or, re-running the step, starts it again): called
   * before the start. A client (`ecl run`) takes the child on as part of the work it claimed, so
   * the parent's wait is not left to a worker that may not exist.
   */
  adoptChild?(childId: string, parentId: string): Promise<void>;
}

/** Options of `Engine.recover`. */
export interface RecoverOptions {
  /** Recover only the workflows this keeps (a cluster node: those of the partitions it just took). */
  only?: (workflowId: string) => boolean;
}

/** Options of `Engine.start`. */
export interface StartOptions {
  /**
   * The workflow id, which is also the idempotency key: the same id and input return the existing
   * workflow. Default: a new UUID. One rule for every entry point (the API, `ecl run --id`, this):
   * 1-128 letters, digits, `_ . -`, starting with a letter or digit; with `tenant`, it may carry
   * that tenant's prefix, `<tenant>:<id>`, and no other. Anything else is `INVALID_WORKFLOW_ID`.
   */
  id?: string | undefined;
  /** Recorded in every event's metadata. The HTTP API prefixes ids with it (`<tenant>:<id>`); the engine does not, but allows only that prefix. */
  tenant?: string | undefined;
  /** Who asked (API key id, `cli`, ...): recorded in the metadata. Default `system`. */
  sender?: string | undefined;
  /** Id of the command that caused the start, recorded as the first event's causation id. */
  commandId?: string | undefined;
  /**
   * The registered version of a definition named by string to start (default: the newest). A
   * version that is not registered is `UNKNOWN_DEFINITION`. Ignored when `start` is given the
   * definition itself, which names its own version.
   */
  version?: number | undefined;
}

/** Where a child workflow came from: recorded as `parent` in its `WorkflowStarted`. */
export interface ParentLink {
  workflowId: string;
  step: string;
  /** The journaled call (or fan-out item) that started it. */
  call: string;
}

/** How a child workflow ended: its output (read back when it was spilled) or why it did not complete. */
export interface ChildOutcome {
  status: 'completed' | 'failed' | 'cancelled';
  output: JsonValue | null;
  reason: string | null;
}

/**
 * What the step runner needs to run child workflows (`ctx.child`): the engine itself, which
 * `createEngine` passes to its step runner. Internal, not exported from the package.
 */
export interface ChildWorkflowPort {
  /** `Engine.start` with the child's derived id, recording `parent`; idempotent by id and input. */
  start(definition: string | AnyWorkflowDefinition, input: unknown, options: { id: string; tenant?: string; parent: ParentLink }): Promise<void>;
  /**
   * Resolves to the workflow's outcome once it is completed, failed or cancelled (at once when it
   * already is), from the engine's feed; rejects when `signal` aborts or the engine closes.
   */
  wait(workflowId: string, signal: AbortSignal, parentId: string): Promise<ChildOutcome>;
  /** Sends CANCEL; a workflow that already finished is left as it is. */
  cancel(workflowId: string, reason: string): Promise<void>;
}

/** Options of `Engine.send`. */
export interface SendOptions {
  /** Who sent the command (API key id, `cli`, ...): recorded in the metadata. Default `system`. */
  sender?: string | undefined;
  /**
   * The caller's id for the command (an idempotency key; 1-255 visible ASCII characters without
   * spaces), recorded in its event's metadata (`commandId`) and as its causation id. A
   * command sent again with the same id is not recorded twice: the send resolves with the first
   * recording (`duplicate: true`), even once the workflow has moved on or finished; the same id
   * with another command, or with other data, is refused (`COMMAND_ID_REUSED`). Default: a new
   * id, and no such check.
   */
  commandId?: string | undefined;
}

/** What a caller sees of a workflow: its fold, summarized. */
export interface WorkflowView {
  workflowId: string;
  /** The definition's name and the version that started the workflow. */
  definition: string;
  version: number;
  tenant?: string;
  status: WorkflowStatus;
  /** e.g. `review.waiting`, `completed`. */
  state: string;
  /** The machine's state value: `{ <step>: <phase> }` while running or waiting, else a name. */
  value: unknown;
  /** The step it is at, while running or waiting. */
  step?: string;
  /** That step's loop iteration. */
  iteration?: number;
  /** Revision of the last event folded. */
  revision: number;
  /** The commands it accepts now (empty once finished), the name of a signal it waits for first. */
  accepts: string[];
  /** What it waits for, when it does: a loop's cap, the budget, an approval gate, or a signal (with its name and timeout). */
  waitingFor?: { step: string; kind: WaitKind; signal?: string; timeoutAt?: string };
  /** When a sleeping step, or a failed attempt's retry, wakes the workflow (ISO). */
  wakeAt?: string;
  /**
   * Set by `Engine.settled` when it returns a running workflow because its family is at rest: the
   * child workflows its step in flight waits for, each waiting for a person or a signal (or for
   * children of its own that do). Send them what they wait for; the parent then goes on.
   */
  waitingOnChildren?: string[];
  /** The workflow's output once completed: the last producing step's output (`null` before). */
  output: JsonValue | null;
  /** Why it failed or was cancelled (`null` otherwise). */
  reason: string | null;
  /** Tokens and cost of every model call so far, failed calls included. */
  usage: WorkflowContext['usage'];
  /** The machine's whole context (outputs, iterations, policies, …), for tools; not a stable API. */
  context: WorkflowContext;
}

/** What `Engine.start` resolves to. */
export interface StartResult {
  workflowId: string;
  /** False when a workflow with this id and input already existed (idempotent start). */
  created: boolean;
  /** The workflow right after its first append (or as it is now, when it existed). */
  view: WorkflowView;
}

/**
 * What `Engine.send` resolves to: the recorded event, its revision (`revision`), the revision of
 * the last event appended with it in the same batch (`lastRevision`: the decisions it caused, such
 * as the next `StepStarted`) and the view after them; or a
 * rejection with a code, a message for people, and the state and commands accepted there. A
 * rejection records nothing.
 */
export type SendResult =
  | {
      accepted: true;
      workflowId: string;
      event: WorkflowEvent;
      revision: number;
      lastRevision: number;
      view: WorkflowView;
      /** True when the command's id (`SendOptions.commandId`) was recorded before: this is that recording, nothing new was written. */
      duplicate?: true;
    }
  | {
      accepted: false;
      workflowId: string;
      code:
        'WORKFLOW_NOT_FOUND' | 'UNKNOWN_COMMAND' | 'INVALID_COMMAND' | 'COMMAND_NOT_ALLOWED' | 'COMMAND_ID_REUSED' | 'CONCURRENCY_CONFLICT' | 'ENGINE_CLOSED';
      message: string;
      state?: string;
      accepts: string[];
    };

/**
 * What `Engine.send` takes: a command with its fields on it (`{ type: 'APPROVE', note }`), or a
 * signal, `{ type: <signal name>, data }` — built and typed by the definition with
 * `definition.signal(name, data)`. Checked again at run time, for callers that are not type-checked.
 */
export type EngineCommand = WorkflowCommandInput | { readonly type: Uncapitalize<string>; readonly data?: unknown };

/** A recorded transition (after its append), or a live token delta (never recorded). */
export type EngineEvent =
  | {
      kind: 'transition';
      workflowId: string;
      revision: number;
      eventId: string;
      event: WorkflowEvent;
      metadata: WorkflowEventMetadata;
      /** State label after this event. */
      state: string;
      status: WorkflowStatus;
    }
  | { kind: 'delta'; workflowId: string; step: string; iteration: number; text: string };

/** What `Engine.recover` resolves to. */
export interface RecoverResult {
  /** Workflows whose work was resumed: a step run again, a sleep's or a retry's timer armed (or fired). */
  resumed: string[];
  /**
   * Non-terminal workflows waiting for a person or a signal. One waiting for a person without a
   * deadline is only counted; the others were loaded (a signal's timeout or a deadline to arm).
   */
  waiting: number;
  /**
   * Workflows with work to do that were not resumed because the definition version that started
   * them is not registered; each is also logged as a warning. They stay in the store untouched
   * until an engine with that version registered recovers them. Present only when there is one.
   */
  blocked?: { workflowId: string; definition: string; version: number }[];
}

/**
 * The durable runtime (`createEngine`): one live actor per active workflow; every change is
 * appended to the store, with the stream's expected revision, before anything acts on it. Step
 * functions run outside the actors; their outcomes are recorded when they settle (see `StepRun`
 * for when a step runs more than once).
 */
export interface Engine {
  /**
   * Starts a workflow on the named definition's latest version, or on the definition object given
   * (registered if its name and version are not), or returns the existing one with this id. Validates the input with
   * the definition's schema, then records `[WorkflowStarted, StepStarted(first step)]` and starts the
   * first step; resolves once that append is done, not when the workflow ends (use `settled`).
   *
   * Idempotent: the same id with the same input (sha256 of the canonical JSON of the parsed,
   * defaulted input) and definition name resolves to the existing workflow with `created: false`,
   * and resumes it if nothing drives it.
   *
   * Throws an `EngineError`, writing nothing: `UNKNOWN_DEFINITION` (`isUnknownDefinition`),
   * `INVALID_INPUT` (`isInvalidInput`; `issues` lists `path: message`), `INVALID_WORKFLOW_ID`,
   * `WORKFLOW_CONFLICT` (`isWorkflowConflict`: the id exists with another input or definition),
   * `CONCURRENCY_CONFLICT`, `ENGINE_CLOSED` (`isEngineClosed`); `CORRUPT_STREAM` or
   * `UNKNOWN_DEFINITION_VERSION` when an existing stream cannot be loaded; an `EventStoreError`
   * from the store (e.g. `INVALID_EVENT_DATA` when the parsed input is not plain JSON).
   * Given the definition itself, `input` has its schema's input type; given a name, it is checked at run time only.
   */
  start<D extends string | AnyWorkflowDefinition>(definition: D, input: StartInput<D>, options?: StartOptions): Promise<StartResult>;
  /**
   * Validates a command (`{ type: 'APPROVE' }`, `{ type: 'REJECT', reason? }`,
   * `{ type: 'REQUEST_REVISION', feedback }`, `{ type: 'CANCEL', reason? }`), checks the workflow
   * accepts it now, and records its event; then the workflow goes on. A rejection is a result, not
   * an exception, and leaves the stream unchanged (codes `WORKFLOW_NOT_FOUND`, `UNKNOWN_COMMAND`,
   * `INVALID_COMMAND`, `COMMAND_NOT_ALLOWED`, `COMMAND_ID_REUSED`, `CONCURRENCY_CONFLICT`, `ENGINE_CLOSED`). CANCEL aborts
   * the step in flight and drops its late outcome. Throws only when the workflow cannot be loaded
   * (`EngineError` `CORRUPT_STREAM`, `UNKNOWN_DEFINITION_VERSION`) or the store fails.
   */
  send(workflowId: string, command: EngineCommand, options?: SendOptions): Promise<SendResult>;
  /**
   * The workflow's current view (rehydrated from the store on demand), or undefined when there is
   * no such workflow. Does not resume it. Throws like `send` when the stream cannot be loaded.
   */
  get(workflowId: string): Promise<WorkflowView | undefined>;
  /**
   * Drives the workflow until it is at rest — it waits for a person or a signal, or has finished —
   * and resolves to its view. It waits through timers: a retry's backoff, a `sleep` (with the
   * system clock, as long as the sleep; with a manual clock, until the test advances it). A
   * workflow left with a step without outcome (e.g. after a crash) is resumed, which runs that step
   * again as a new attempt. After `close()`, resolves to where it stopped. Throws `EngineError` `WORKFLOW_NOT_FOUND` (`isWorkflowNotFound`).
   */
  settled(workflowId: string): Promise<WorkflowView>;
  /**
   * The child workflows this workflow's step waits for, when every one of them waits for a person
   * or a signal (or for children of its own that do) right now: the family cannot move without
   * someone outside. Undefined otherwise, or when this engine does not drive it. Never waits.
   */
  waitingOn(workflowId: string): Promise<string[] | undefined>;
  /**
   * This workflow's transitions (after each append) and token deltas, from now on; no replay of the
   * past. Completes after its terminal transition (completed, failed, cancelled), when that comes
   * while subscribed, and when the engine closes.
   */
  subscribe(workflowId: string): Observable<EngineEvent>;
  /** Every workflow's transitions and deltas from now on. Deltas are produced only while something subscribes. */
  readonly feed: Observable<EngineEvent>;
  /**
   * Resumes every non-terminal workflow in the store that has work to do: a step whose attempt
   * has no outcome runs again as attempt + 1 (or, if its recorded due time has passed, its timeout
   * is recorded); steps with an outcome never run again; a sleep, a retry or a signal's timeout
   * whose due time passed fires, and one still ahead is armed. Workflows waiting for a person are
   * counted and left in the store. A workflow whose definition version is not registered is
   * skipped, logged and listed in `blocked`. Call it once at startup. A second engine recovering the same
   * store while the first still runs a step would run that step again beside it (the first
   * attempt's outcome is then refused): run one engine per store, or several with `ownership`
   * (src/cluster), which recover only what they own. Throws `ENGINE_CLOSED`.
   */
  recover(options?: RecoverOptions): Promise<RecoverResult>;
  /**
   * Another writer's workflow event, as the log follower saw it (cluster mode): published on
   * `feed`, and, when this engine owns the workflow, folded into it and driven on.
   */
  noticeAppend(record: RecordedEvent): void;
  /**
   * Stops driving the workflows `only` keeps, without appending anything: their calls in flight
   * are aborted and left without outcome (the next owner runs them again), their timers cleared,
   * their actors dropped. Resolves to how many were live, once their appends in flight ended.
   */
  release(only: (workflowId: string) => boolean): Promise<number>;
  /** Ids of the live workflows with a step in flight: running, or its outcome still being recorded. */
  inFlight(): string[];
  /** Drops idle workflows from memory (all, or one) and resolves to how many; they are rehydrated on demand. */
  passivate(workflowId?: string): Promise<number>;
  /** How many workflows are live in memory now. */
  liveCount(): number;
  /**
   * Stops accepting work (`start`/`recover` throw `ENGINE_CLOSED`, `send` rejects with it), aborts
   * the signal of every step in flight, waits for their attempts to end and for appends in flight,
   * and completes `feed`. An aborted attempt that ends in an error (with `timeoutMs`, at the abort)
   * records no outcome, so `recover()` runs the step again as a new attempt; a `run` without
   * `timeoutMs` that returns a value anyway has it recorded. Does not close the store.
   */
  close(): Promise<void>;
}

export type { WorkflowEventMetadata };
