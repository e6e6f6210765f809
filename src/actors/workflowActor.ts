import { isLeaseLost, isPayloadTooLarge, isWrongExpectedRevision, workflowStream, type JsonValue } from '../eventstore/index.js';
import {
  type AnyWorkflowDefinition,
  type Decision,
  type Folder,
  type SendSignal,
  type Settled,
  type WorkflowCommand,
  type WorkflowEvent,
  type WorkflowSnapshot,
  acceptedCommands,
  decideCommand,
  isEventNotAccepted,
  stateLabel,
  nextStep,
  settle,
} from '../machines/index.js';
import { type MetadataBase, batchRecords } from './eventRecords.js';
import { recordedCommand } from './recordedCommand.js';
import { foldRecords } from './loadWorkflow.js';
import { folderOf } from './folderOf.js';
import { LazyAbort } from './lazyAbort.js';
import type { CallRecorder } from './journalEnv.js';
import type { ActorEnv, ActorInit } from './actorEnv.js';
import { publishTransitions } from './publishTransitions.js';
import { SNAPSHOT_SCHEMA, writeCachedSnapshot } from './snapshotStream.js';
import type { SendResult } from './types.js';
import { wakeOf } from './wakeOf.js';
import { viewOfActor } from './workflowView.js';

type Commit = { ok: true; events: WorkflowEvent[]; ids: string[] } | { ok: false; reason: 'conflict' | 'not_accepted' | 'lease_lost' };

/** Who and what a commit records its events for. */
interface CommitFrom {
  /** The sender of the pending events (what they cause is the runtime's, or the timer's). */
  sender: string;
  /** The first event's causation id: the command's id, or the event that led to this batch. */
  causationId: string | undefined;
  /** On a conflict, fold what the other writer added (the caller decides again). */
  reloadOnConflict: boolean;
  /** Only the worker that drives the workflow may record this (an activity's outcome). */
  ownerOnly?: boolean;
  /** The caller's id for the command pending (`SendOptions.commandId`), kept in its metadata. */
  commandId?: string | undefined;
}
type Waiter = () => void;

const MAX_CONFLICT_RETRIES = 3;
const RESOLVED: Promise<unknown> = Promise.resolve();

/**
 * The one live actor of one workflow. Every change goes through its queue: decide (pure), append
 * with the expected revision, and only then apply, publish and act. Activities run outside the
 * queue; their outcomes come back through it.
 */
export class WorkflowActor implements CallRecorder {
  readonly workflowId: string;
  readonly definition: AnyWorkflowDefinition;
  // Only the actor changes its state (in its queue); the engine reads it through the getters below.
  #snapshot: WorkflowSnapshot;
  #revision: number;
  #retired = false;
  private lastEventId: string | undefined;
  /** Revision the newest snapshot cache covers (-1: none). */
  private snapshotRevision: number;
  /**
   * Revision of the last snapshot write begun, written or not: a write that failed (a snapshot over
   * the store's append limit, say) is tried again only as far on, not at every event.
   */
  private snapshotTried = -1;
  private readonly folder: Folder;
  private readonly base: MetadataBase;
  private readonly stream: string;
  private readonly env: ActorEnv;
  private tail: Promise<unknown> = RESOLVED;
  private pending = 0;
  private inFlight: { abort: LazyAbort; step: string } | undefined;
  /** The activity run and the recording of its outcome, until both are done (close() waits for it). */
  private running: Promise<void> | undefined;
  private waiters: Waiter[] | undefined;

  constructor(env: ActorEnv, init: ActorInit) {
    this.env = env;
    this.workflowId = init.workflowId;
    this.definition = init.definition;
    this.folder = folderOf(init.definition);
    this.stream = workflowStream(init.workflowId);
    this.base = {
      workflowId: init.workflowId,
      definition: init.definition.name,
      version: init.definition.version,
      ...(init.tenant === undefined ? {} : { tenant: init.tenant }),
    };
    this.#snapshot = init.snapshot ?? this.folder.initial();
    this.#revision = init.revision ?? -1;
    this.lastEventId = init.lastEventId;
    this.snapshotRevision = init.snapshotRevision ?? -1;
  }

  /** The fold of every recorded event, applied only after its append succeeded. */
  get snapshot(): WorkflowSnapshot {
    return this.#snapshot;
  }

  /** Revision of the last recorded event; -1 before the first append. */
  get revision(): number {
    return this.#revision;
  }

  /** The tenant recorded in the workflow's metadata, if any. */
  get tenant(): string | undefined {
    return this.base.tenant;
  }

  /** True once the engine dropped this actor from memory (`retire`); work reaching it must go to a fresh one. */
  get retired(): boolean {
    return this.#retired;
  }

  /**
   * Takes the actor out of service: work queued from now on does nothing (a command resolves
   * `'retired'`, so the engine sends it to a fresh actor). What is in flight goes on and is recorded.
   */
  retire(): void {
    this.#retired = true;
  }

  /**
   * Writes the snapshot cache (side stream `ecl.snapshot-<id>`) when at least `minEvents` events
   * (and at least one) were recorded since the last one. A cache only: loading checks it against
   * the stream. Rejects when the store fails.
   */
  async writeSnapshot(minEvents = 1): Promise<void> {
    const revision = this.#revision;
    if (this.lastEventId === undefined || revision - this.sinceSnapshot < Math.max(1, minEvents)) return;
    this.snapshotTried = revision;
    await writeCachedSnapshot(this.env.store, this.workflowId, {
      schema: SNAPSHOT_SCHEMA,
      definition: this.definition.name,
      version: this.definition.version,
      revision,
      eventId: this.lastEventId,
      ...(this.base.tenant === undefined ? {} : { tenant: this.base.tenant }),
      persisted: this.folder.persist(this.#snapshot) as JsonValue,
    }).catch((error: unknown) => {
      if (!isPayloadTooLarge(error)) throw error;
      throw new Error(
        `Snapshot of workflow ${this.workflowId} at revision ${revision} not written: ${(error as Error).message}. It is loaded by folding its stream instead; tried again at its next snapshot point`,
      );
    });
    // Writes may finish out of order: keep the newest revision covered.
    this.snapshotRevision = Math.max(this.snapshotRevision, revision);
  }

  /** Where the events a next snapshot would cover begin: the last one written, or the last write tried. */
  private get sinceSnapshot(): number {
    return Math.max(this.snapshotRevision, this.snapshotTried);
  }

  /** Nothing queued and nothing in flight. */
  get idle(): boolean {
    return this.pending === 0 && this.inFlight === undefined;
  }

  /** A step running, or its outcome not recorded yet (the append after it may add the next step). */
  get hasWorkInFlight(): boolean {
    return this.inFlight !== undefined || this.running !== undefined;
  }

  /**
   * Records WorkflowStarted and what follows: `exists` when the stream already exists, `lease_lost`
   * when the append carried a fence another worker has taken since (nothing written; this actor retired).
   */
  begin(started: WorkflowEvent, sender: string, causationId: string | undefined): Promise<'created' | 'exists' | 'lease_lost'> {
    return this.enqueue(async () => {
      const commit = await this.commit([started], { sender, causationId, reloadOnConflict: false });
      return commit.ok ? 'created' : commit.reason === 'lease_lost' ? 'lease_lost' : 'exists';
    });
  }

  /**
   * The engine parsed the command; this checks it is allowed now (and a signal's data against its
   * schema), records it, acts on it. `idOnce`: `causationId` is the caller's id for the command,
   * which a command sent again with it finds recorded instead of being recorded twice.
   */
  command(command: WorkflowCommand | SendSignal, sender: string, causationId: string, idOnce = false): Promise<SendResult | 'retired'> {
    return this.enqueue(async () => {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        if (this.#retired) return 'retired';
        if (idOnce) {
          const earlier = await this.earlierCommand(command, causationId);
          if (earlier !== undefined) return earlier;
        }
        const decided = decideCommand(this.#snapshot, command, this.definition);
        if (!decided.ok)
          return { accepted: false, workflowId: this.workflowId, code: decided.code, message: decided.message, state: decided.state, accepts: decided.accepts };
        const commit = await this.commit([decided.event], { sender, causationId, reloadOnConflict: true, commandId: idOnce ? causationId : undefined });
        if (!commit.ok) continue;
        // The command's event comes first in its batch; what it caused follows it.
        const revision = this.#revision - commit.events.length + 1;
        return { accepted: true, workflowId: this.workflowId, event: decided.event, revision, lastRevision: this.#revision, view: viewOfActor(this) };
      }
      return {
        accepted: false,
        workflowId: this.workflowId,
        code: 'CONCURRENCY_CONFLICT',
        message: `Workflow ${this.workflowId} kept changing under this command; try again`,
        accepts: [],
      };
    });
  }

  /** The command recorded before under the caller's id `commandId` (its event's causation id), if any. */
  private async earlierCommand(command: WorkflowCommand | SendSignal, commandId: string): Promise<SendResult | undefined> {
    const found = recordedCommand(await this.env.store.readStream(this.stream), command, commandId, this.definition);
    if (found === undefined) return undefined;
    const { workflowId } = this;
    if (found.same)
      return {
        accepted: true,
        duplicate: true,
        workflowId,
        event: found.event,
        revision: found.revision,
        lastRevision: found.lastRevision,
        view: viewOfActor(this),
      };
    const accepts = this.#snapshot.status === 'active' ? acceptedCommands(this.#snapshot) : [];
    return { accepted: false, workflowId, code: 'COMMAND_ID_REUSED', message: found.message, state: stateLabel(this.#snapshot), accepts };
  }

  /**
   * Resumes work from the current state: re-runs a step without outcome (attempt + 1), fires a due
   * timer (a timeout, a sleep, a retry, a signal's timeout), or does nothing. While a step runs,
   * only a passed deadline is acted on.
   */
  drive(): Promise<void> {
    return this.enqueue(async () => {
      // Another writer appended meanwhile (the late outcome of a worker that lost the workflow):
      // the conflict folded what it wrote, so decide again from there.
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        if (this.#retired || !this.env.ownership(this.workflowId).owned) return;
        // A step in flight, or one that just ended and whose outcome is queued behind this: deciding
        // now would start the step again. Only a passed deadline is acted on meanwhile.
        if ((this.inFlight !== undefined || this.running !== undefined) && !this.deadlinePassed()) return;
        const commit = await this.commit([], { sender: 'system', causationId: this.lastEventId, reloadOnConflict: true });
        if (commit.ok || commit.reason !== 'conflict') return;
      }
    });
  }

  /**
   * Another writer appended to this workflow (a command taken by a node that does not drive it):
   * folds what it added, then drives on from there.
   */
  catchUp(): Promise<void> {
    return this.enqueue(async () => {
      if (this.#retired) return;
      await this.reload();
      if (this.#snapshot.status !== 'active') this.abortInFlight('cancelled');
    }).then(() => this.drive());
  }

  private deadlinePassed(): boolean {
    const deadline = this.#snapshot.status === 'active' ? this.#snapshot.context.policies.deadline : undefined;
    return deadline !== undefined && this.env.now().getTime() >= Date.parse(deadline.at);
  }

  /** True when nothing drives the workflow although it has work to do (e.g. just rehydrated after a crash). */
  get stalled(): boolean {
    if (!this.idle || this.#retired || !this.env.ownership(this.workflowId).owned) return false;
    const next = this.nextDecision().kind;
    return next === 'activity' || next === 'append';
  }

  /** Resolves when nothing is queued or in flight (call drive() first if the actor is stalled). */
  whenSettled(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => {
      (this.waiters ??= []).push(resolve);
    });
  }

  /** Aborts a call in flight; `shutdown` leaves it without outcome, so recovery runs it again. */
  abortInFlight(reason: 'cancelled' | 'shutdown'): void {
    const inFlight = this.inFlight;
    if (inFlight === undefined) return;
    this.inFlight = undefined;
    inFlight.abort.abort(reason);
  }

  /** Waits for the activity in flight to end (and its outcome, if any, to be recorded) and for everything queued. */
  async drain(): Promise<void> {
    await this.running;
    await this.tail;
  }

  private nextDecision(): Decision {
    try {
      return nextStep(this.#snapshot, this.env.now().toISOString());
    } catch {
      return { kind: 'idle' };
    }
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.tail.then(task);
    this.tail = run.then(
      () => this.settleQueue(),
      () => this.settleQueue(),
    );
    return run;
  }

  private settleQueue(): void {
    this.pending--;
    if (this.pending === 0) {
      this.tail = RESOLVED;
      this.afterWork();
    }
  }

  /** Once nothing is queued or in flight: wake whoever waits for the workflow to settle. */
  private afterWork(): void {
    if (this.pending !== 0 || this.inFlight !== undefined) return;
    const waiters = this.waiters;
    this.waiters = undefined;
    if (waiters !== undefined) for (const resolve of waiters) resolve();
    this.env.onIdle(this);
  }

  /**
   * Decide → append (expected revision) → apply → publish → act. On a conflicting append the
   * actor reloads the events another writer added, and the caller decides again.
   */
  private async commit(pending: readonly WorkflowEvent[], from: CommitFrom): Promise<Commit> {
    const { sender, causationId, reloadOnConflict, ownerOnly = false } = from;
    const ownership = this.env.ownership(this.workflowId);
    // An activity's outcome is the driving worker's to record; one that lost the workflow drops it.
    if (ownerOnly && !ownership.owned) return { ok: false, reason: 'lease_lost' };
    const fence = ownership.owned ? ownership.fence : undefined;
    const now = this.env.now();
    const at = now.toISOString();
    let settled: Settled;
    try {
      // While the engine shuts down, outcomes are still recorded but no next step is started; a
      // node that does not drive the workflow records the command and what it decides, and leaves
      // the next StepStarted to the worker that holds its lease.
      settled = settle(this.folder, this.#snapshot, pending, {
        now: at,
        timeoutAt: (step) => this.timeoutAt(step, now),
        startActivity: !this.env.closing() && ownership.owned,
        decisions: this.env.decisionsOf(this.definition),
      });
    } catch (error) {
      if (isEventNotAccepted(error)) return { ok: false, reason: 'not_accepted' };
      throw error;
    }
    if (settled.events.length === 0) {
      if (ownership.owned) this.env.wakeAt(this.workflowId, wakeOf(settled));
      return { ok: true, events: [], ids: [] };
    }
    const origin = { sender, causationId, pending: pending.length, commandId: from.commandId };
    const { records, ids } = batchRecords(this.base, settled.events, settled.values, origin, at, this.env.newId);
    const own = this.env.ownAppends;
    own?.recording?.(ids);
    try {
      const expectedRevision = this.#revision < 0 ? 'no_stream' : this.#revision;
      const result = await this.env.store.append(this.stream, records, fence === undefined ? { expectedRevision } : { expectedRevision, fence });
      this.#revision = result.nextExpectedRevision;
      this.env.recorded(records.length);
    } catch (error) {
      own?.notRecorded?.(ids);
      if (isLeaseLost(error) && fence !== undefined) {
        // Another worker took the workflow's partition: this one's late append is discarded, and
        // it stops driving (what it was running is left to the new owner, as after a crash).
        this.env.logger.warn('Lease lost: append discarded; another worker drives this workflow now', {
          workflowId: this.workflowId,
          revision: this.#revision,
          partition: fence.partition,
        });
        this.env.leaseLost(fence);
        this.retire();
        this.abortInFlight('shutdown');
        return { ok: false, reason: 'lease_lost' };
      }
      if (!isWrongExpectedRevision(error)) throw error;
      // A start that finds the stream already there is the idempotent-start path, not a conflict worth a warning.
      if (!reloadOnConflict) return { ok: false, reason: 'conflict' };
      this.env.logger.warn('Another writer changed the workflow stream; reloading', { workflowId: this.workflowId, revision: this.#revision });
      await this.reload();
      return { ok: false, reason: 'conflict' };
    }
    this.#snapshot = settled.snapshot;
    this.lastEventId = ids[ids.length - 1];
    // Finished (cancelled, a deadline): whatever still runs has no say any more.
    if (settled.snapshot.status !== 'active') this.abortInFlight('cancelled');
    if (ownership.owned) this.env.wakeAt(this.workflowId, wakeOf(settled));
    publishTransitions(this.env, this.workflowId, this.#revision - records.length + 1, settled, records, ids);
    // Retired while appending (its partition was released meanwhile): the step is the next owner's to run.
    if (!this.#retired && settled.next.kind === 'activity' && settled.events[settled.events.length - 1]?.type === 'StepStarted')
      this.launch(settled.next, ids[ids.length - 1] as string);
    if (this.#revision - this.sinceSnapshot >= this.env.snapshotEvery) this.env.track(this.writeSnapshot());
    return { ok: true, events: settled.events, ids };
  }

  private timeoutAt(step: string, now: Date): string | undefined {
    const spec = this.definition.activity(step);
    return spec?.timeoutMs === undefined ? undefined : new Date(now.getTime() + spec.timeoutMs).toISOString();
  }

  /** Folds what another writer appended since our revision. */
  private async reload(): Promise<void> {
    const records = await this.env.store.readStream(this.stream, { from: this.#revision + 1 });
    if (records.length === 0) return;
    this.#snapshot = foldRecords(this.#snapshot, records, this.folder.apply);
    const last = records[records.length - 1];
    if (last !== undefined) {
      this.#revision = last.revision;
      this.lastEventId = last.id;
    }
  }

  private launch(next: Extract<Decision, { kind: 'activity' }>, startedId: string): void {
    const spec = this.definition.activity(next.step);
    const current = this.#snapshot.context.current;
    const abort = new LazyAbort();
    this.inFlight = { abort, step: next.step };
    const outcome: Promise<WorkflowEvent | undefined> =
      spec === undefined
        ? Promise.resolve({
            type: 'StepFailed',
            data: {
              v: 1,
              step: next.step,
              iteration: next.iteration,
              attempt: next.attempt,
              error: {
                code: 'NO_ACTIVITY',
                message: `${this.definition.name} v${this.definition.version} has no implementation for step "${next.step}"`,
                retryable: false,
              },
            },
          })
        : this.env.runStep(
            {
              workflowId: this.workflowId,
              definition: this.definition.name,
              step: next.step,
              iteration: next.iteration,
              attempt: next.attempt,
              idempotencyKey: next.idempotencyKey,
              ...(current?.timeoutAt === undefined ? {} : { timeoutAt: current.timeoutAt }),
              context: this.#snapshot.context,
              spec,
              recorder: this,
              startedId,
            },
            abort,
          );
    const running = outcome.then(
      (event) => {
        if (this.inFlight?.abort === abort) this.inFlight = undefined;
        if (event !== undefined) return this.record(event, startedId);
        this.afterWork();
        return undefined;
      },
      (error: unknown) => {
        if (this.inFlight?.abort === abort) this.inFlight = undefined;
        this.env.logger.error('Step runner failed', { workflowId: this.workflowId, step: next.step, error: (error as Error).message });
        this.afterWork();
      },
    );
    this.running = running;
    void running.finally(() => {
      if (this.running === running) this.running = undefined;
    });
  }

  /**
   * A journaled call's outcome, while its step runs: appended through the queue like everything
   * else (the step gets the call's result only after this resolves). True once recorded; false when
   * the workflow no longer accepts it (cancelled, timed out, superseded). Rejects if the store fails.
   */
  recordCall(event: WorkflowEvent, startedId: string): Promise<boolean> {
    return this.enqueue(async () => {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES && !this.#retired; attempt++) {
        const commit = await this.commit([event], { sender: 'system', causationId: startedId, reloadOnConflict: true, ownerOnly: true });
        if (commit.ok) return true;
        if (commit.reason !== 'conflict') return false;
      }
      return false;
    });
  }

  /** An activity's outcome: recorded if the workflow still waits for it (not after CANCEL, not twice). */
  private record(event: WorkflowEvent, startedId: string): Promise<void> {
    return this.enqueue(async () => {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES && !this.#retired; attempt++) {
        const commit = await this.commit([event], { sender: 'system', causationId: startedId, reloadOnConflict: true, ownerOnly: true });
        if (commit.ok) return;
        if (commit.reason === 'lease_lost') return;
        if (commit.reason === 'not_accepted') {
          this.env.logger.info('Activity outcome no longer applies; not recorded', {
            workflowId: this.workflowId,
            step: (event.data as { step?: string }).step,
            revision: this.#revision,
          });
          return;
        }
      }
    }).catch((error: unknown) => {
      this.env.logger.error('Could not record an activity outcome; the step stays recoverable', {
        workflowId: this.workflowId,
        revision: this.#revision,
        error: (error as Error).message,
      });
    });
  }
}
