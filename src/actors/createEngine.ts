import { randomUUID } from 'node:crypto';
import { Subject, filter, takeWhile, type Observable } from 'rxjs';
import {
  type AnyWorkflowDefinition,
  type JsonValue,
  type StepDecisions,
  commandLabel,
  isTerminalEventType,
  parseCommand,
  timeoutRetryAt,
  viewOf,
  workflowStartedEvent,
} from '../machines/index.js';
import { isPayloadTooLarge, workflowIdOf } from '../eventstore/index.js';
import { workflowIdProblem } from '../edge/index.js';
import { EngineError, isInvalidInput } from './errors.js';
import { parseInput } from './parseInput.js';
import { inputHashOf, isRecordedInput } from './inputHash.js';
import { scanForRecovery } from './findActiveWorkflows.js';
import { type Clock, systemClock } from './clock.js';
import { createStepRunner } from './stepRunner.js';
import type { Engine, EngineEvent, EngineOptions, ParentLink, SendResult, StartResult, WorkflowView } from './types.js';
import { createAwaitedChildren } from './awaitedChildren.js';
import { createChildPort } from './childPort.js';
import type { ActorEnv } from './actorEnv.js';
import { createOwnershipLookup } from './ownershipLookup.js';
import { createWakeUpTimers } from './wakeUpTimers.js';
import { foreignTransition } from './publishTransitions.js';
import { familyAtRestNow, settledOrFamilyAtRest } from './familyAtRest.js';
import { createSettledElsewhere } from './settledElsewhere.js';
import { WorkflowActor } from './workflowActor.js';
import { createResidentActors } from './residentActors.js';
import { viewOfActor } from './workflowView.js';
import { recoverWorkflows } from './recoverWorkflows.js';
import { COMMAND_ID_PATTERN } from './recordedCommand.js';

/** A start whose fenced append keeps finding its partition taken is answered as a conflict (try again) after this many. */
const MAX_START_ATTEMPTS = 3;

/**
 * The actor runtime: one live actor per active workflow, many workflows at once, every change
 * appended before it is applied. See docs/engine.md.
 *
 * Creating an engine starts nothing: call `recover()` once to resume the store's unfinished
 * workflows (steps interrupted by a crash run again as new attempts; see `StepRun`), and
 * `close()` before closing the store. Does not throw.
 */
export function createEngine(options: EngineOptions): Engine {
  const { store, logger, definitions } = options;
  const clock: Clock = options.clock ?? (options.now === undefined ? systemClock : { ...systemClock, now: options.now });
  const now = () => clock.now();
  const newId = options.newId ?? randomUUID;
  const snapshotEvery = options.snapshotEvery ?? 1_000;
  const checkpointEvery = options.recoveryCheckpointEvery ?? 100_000;
  /** Events recorded since the recovery checkpoint last advanced; null while it advances. */
  let sinceCheckpoint: number | null = 0;
  const feed = new Subject<EngineEvent>();
  const background = new Set<Promise<unknown>>();
  const engineDecisions = new WeakMap<AnyWorkflowDefinition, StepDecisions>();
  let closed = false;
  const ownershipPort = options.ownership;
  const { ownership, owns } = createOwnershipLookup(ownershipPort);
  const timers = createWakeUpTimers({
    clock,
    wake: async (workflowId) => {
      const actor = await actorFor(workflowId);
      await actor?.drive();
    },
    track: (work) => track(work),
    closed: () => closed,
  });
  const wakeAt = timers.wakeAt;

  const awaitedChildren = createAwaitedChildren();
  const runStep = createStepRunner({
    llm: options.llm,
    artifacts: options.artifacts,
    clock,
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.maxInlineOutputBytes === undefined ? {} : { maxInlineOutputBytes: options.maxInlineOutputBytes }),
    onDelta: (work, text) => feed.next({ kind: 'delta', workflowId: work.workflowId, step: work.step, iteration: work.iteration, text }),
    wantsDeltas: () => feed.observed,
    children: createChildPort(() => engine, feed, options.artifacts, options.ownership, awaitedChildren),
  });

  const track = (work: Promise<unknown>): void => {
    const guarded = work.catch((error: unknown) => logger.warn('Background work failed', { error: (error as Error).message }));
    background.add(guarded);
    void guarded.finally(() => background.delete(guarded));
  };

  const env: ActorEnv = {
    store,
    logger,
    now,
    newId,
    runStep,
    publish: (event) => feed.next(event),
    recorded(events) {
      if (sinceCheckpoint === null || checkpointEvery <= 0 || (sinceCheckpoint += events) < checkpointEvery) return;
      sinceCheckpoint = null;
      track(
        scanForRecovery(store, logger, 'advance').finally(() => {
          sinceCheckpoint = 0;
        }),
      );
    },
    hasListeners: () => feed.observed,
    track,
    closing: () => closed,
    snapshotEvery,
    wakeAt,
    ownership,
    leaseLost: (fence) => ownershipPort?.lost(fence),
    ownAppends: ownershipPort,
    decisionsOf(definition) {
      let decisions = engineDecisions.get(definition);
      if (decisions === undefined) {
        decisions = {
          ...definition.decisions,
          timeoutRetryAt: (step, attempt, at) => timeoutRetryAt(definition.activity(step), options.retry, attempt, Date.parse(at)),
        };
        engineDecisions.set(definition, decisions);
      }
      return decisions;
    },
    onIdle: (actor) => resident.onIdle(actor),
  };
  const resident = createResidentActors({
    store,
    definitions,
    maxIdle: options.maxIdleActors ?? 10_000,
    passivatedSnapshotAfter: snapshotEvery / 10,
    owns,
    track,
    create: (init) => new WorkflowActor(env, init),
  });
  const { actorFor, retire } = resident;

  const ensureOpen = (): void => {
    if (closed) throw new EngineError('ENGINE_CLOSED', 'The engine is shutting down and accepts no new work');
  };

  /** A definition given by value is registered (so a restart can load what it starts); a name takes `version`, default the newest. */
  const resolveDefinition = (definition: string | AnyWorkflowDefinition, version?: number): AnyWorkflowDefinition => {
    if (typeof definition !== 'string') {
      if (definitions.get(definition.name, definition.version) === undefined) definitions.register(definition);
      return definition;
    }
    const found = definitions.get(definition, version);
    if (found === undefined) {
      const known = definitions.names();
      const versions = definitions.versions(definition);
      throw new EngineError(
        'UNKNOWN_DEFINITION',
        versions.length > 0
          ? `Unknown version ${version} of workflow definition "${definition}". Registered: ${versions.map((v) => `v${v}`).join(', ')}`
          : `Unknown workflow definition "${definition}". Known: ${known.length === 0 ? '(none)' : known.join(', ')}`,
      );
    }
    return found;
  };

  /** A start of an id that exists: the same workflow (`created: false`) when the definition and the input are the same (`isRecordedInput`). */
  const existing = async (workflowId: string, definition: AnyWorkflowDefinition, input: unknown, inputHash: string | undefined): Promise<StartResult> => {
    let actor = await actorFor(workflowId);
    // A start of the same id may still be appending its first events: wait for it to land or lose.
    for (let tries = 0; actor !== undefined && actor.revision < 0 && tries < 3; tries++) {
      await actor.drain();
      actor = await actorFor(workflowId);
    }
    if (actor === undefined || actor.revision < 0)
      throw new EngineError('CONCURRENCY_CONFLICT', `Workflow ${workflowId} could not be started or found; try again`);
    const context = actor.snapshot.context;
    if (actor.definition.name !== definition.name || !isRecordedInput(context.inputHash, actor.definition, input, inputHash)) {
      throw new EngineError(
        'WORKFLOW_CONFLICT',
        `Workflow ${workflowId} already exists with ${actor.definition.name === definition.name ? 'a different input' : `definition ${actor.definition.name}`}; use another id`,
      );
    }
    await actor.drive();
    return { workflowId, created: false, view: viewOfActor(actor) };
  };

  const settledElsewhere = createSettledElsewhere({
    feed,
    clock,
    view: async (workflowId) => {
      const actor = await actorFor(workflowId);
      return actor === undefined ? undefined : viewOfActor(actor);
    },
    owns,
    closed: () => closed,
  });

  const engine: Engine = {
    feed: feed.asObservable(),

    async start(definitionOrName, input, startOptions = {}) {
      ensureOpen();
      const definition = resolveDefinition(definitionOrName, startOptions.version);
      const workflowId = startOptions.id ?? newId();
      const idProblem = workflowIdProblem(workflowId, startOptions.tenant);
      if (idProblem !== undefined)
        throw new EngineError('INVALID_WORKFLOW_ID', `Invalid workflow id ${JSON.stringify(workflowId.slice(0, 200))}: ${idProblem}`);
      let value: JsonValue;
      try {
        value = parseInput(definition, input);
      } catch (error) {
        // A start retried after a deploy changed the input schema: the version that started it judges.
        if (startOptions.id !== undefined && isInvalidInput(error) && (await actorFor(workflowId)) !== undefined)
          return existing(workflowId, definition, input, undefined);
        throw error;
      }
      const inputHash = inputHashOf(value);
      if (resident.has(workflowId)) return existing(workflowId, definition, input, inputHash);

      // A start whose partition another worker took meanwhile (LEASE_LOST) is recorded again
      // unfenced, as any node records a command: the new owner drives it from there.
      for (let attempt = 1; ; attempt++) {
        const actor = new WorkflowActor(env, { definition, workflowId, ...(startOptions.tenant === undefined ? {} : { tenant: startOptions.tenant }) });
        resident.add(actor);
        let outcome: Awaited<ReturnType<WorkflowActor['begin']>>;
        try {
          const started = workflowStartedEvent(definition, workflowId, value, inputHash, now());
          // A child workflow (the children port) records where it came from.
          const parent = (startOptions as { parent?: ParentLink }).parent;
          if (parent !== undefined) started.data.parent = parent;
          outcome = await actor.begin(started, startOptions.sender ?? 'system', startOptions.commandId);
        } catch (error) {
          retire(actor);
          if (!isPayloadTooLarge(error)) throw error;
          const { bytes, limit } = error as { bytes?: number; limit?: number };
          const sizes =
            bytes === undefined || limit === undefined ? (error as Error).message : `${bytes} bytes, over the store's limit of ${limit} bytes for one append`;
          throw new EngineError(
            'INPUT_TOO_LARGE',
            `The input of ${definition.name} is too large to record: its start event is ${sizes}. Pass large documents by reference (a URL, a file or an artifact a step reads), not in the input`,
            { cause: error },
          );
        }
        if (outcome === 'created') return { workflowId, created: true, view: viewOfActor(actor) };
        retire(actor);
        if (outcome === 'exists' || attempt === MAX_START_ATTEMPTS) return existing(workflowId, definition, input, inputHash);
      }
    },

    async send(workflowId, raw, sendOptions = {}): Promise<SendResult> {
      if (closed) return { accepted: false, workflowId, code: 'ENGINE_CLOSED', message: 'The engine is shutting down', accepts: [] };
      const parsed = parseCommand(raw);
      if (!parsed.ok) return { accepted: false, workflowId, code: parsed.code, message: parsed.message, accepts: [] };
      if (sendOptions.commandId !== undefined && !COMMAND_ID_PATTERN.test(sendOptions.commandId)) {
        const message = `The idempotency key (commandId) must be 1-255 visible ASCII characters without spaces (a UUID, say), not ${JSON.stringify(sendOptions.commandId.slice(0, 40))}`;
        return { accepted: false, workflowId, code: 'INVALID_COMMAND', message, accepts: [] };
      }
      // A command with the caller's id may be one already recorded, and a signal may be unknown to
      // the definition (refused as such): the actor looks, finished or not.
      const finalState = sendOptions.commandId === undefined && parsed.command.type !== 'SIGNAL' ? resident.finalState(workflowId) : undefined;
      if (finalState !== undefined) {
        const message = `${commandLabel(parsed.command)} is not allowed in state ${finalState}: it accepts no command now`;
        return { accepted: false, workflowId, code: 'COMMAND_NOT_ALLOWED', message, state: finalState, accepts: [] };
      }
      for (;;) {
        const actor = await actorFor(workflowId);
        if (actor === undefined) return { accepted: false, workflowId, code: 'WORKFLOW_NOT_FOUND', message: `No workflow with id ${workflowId}`, accepts: [] };
        const result = await actor.command(
          parsed.command,
          sendOptions.sender ?? 'system',
          sendOptions.commandId ?? newId(),
          sendOptions.commandId !== undefined,
        );
        if (result !== 'retired') return result;
      }
    },

    async get(workflowId) {
      const actor = await actorFor(workflowId);
      return actor === undefined ? undefined : viewOfActor(actor);
    },

    async settled(workflowId): Promise<WorkflowView> {
      for (;;) {
        if (!owns(workflowId) && !closed) {
          const view = await settledElsewhere(workflowId);
          if (view !== undefined) return view;
          continue;
        }
        const actor = await actorFor(workflowId);
        if (actor === undefined) throw new EngineError('WORKFLOW_NOT_FOUND', `No workflow with id ${workflowId}`);
        // A closed engine runs nothing more: report where the workflow stopped.
        if (closed) return viewOfActor(actor);
        if (actor.stalled) await actor.drive();
        const waitingOnChildren = await settledOrFamilyAtRest(actor, workflowId, awaitedChildren, (child) => engine.settled(child));
        if (waitingOnChildren !== undefined) return { ...viewOfActor(actor), waitingOnChildren };
        // A running workflow with a timer armed (a retry's backoff, a sleep) is not at rest yet: wait for the timer.
        const dueAt = timers.dueAt(workflowId);
        if (actor.snapshot.status === 'active' && viewOf(actor.snapshot).status === 'running' && dueAt !== undefined) {
          const woken = timers.nextWake(workflowId);
          // Only the timer can move it on now: a simulated clock may jump to it.
          clock.waiting?.(new Date(dueAt));
          await woken;
          continue;
        }
        if (!actor.retired || actor.idle) return viewOfActor(actor);
      }
    },

    waitingOn: (workflowId) => familyAtRestNow(workflowId, awaitedChildren, (id) => engine.get(id)),

    noticeAppend(record) {
      const workflowId = workflowIdOf(record.stream);
      if (workflowId === undefined || closed) return;
      const actor = resident.live(workflowId);
      // Known here already: this engine wrote it (a follower resuming reads a stretch again), or folded it.
      if (actor !== undefined ? actor.revision >= record.revision : resident.wasFinished(workflowId)) return;
      // Another writer's event: told on the feed (waits and follows on this node see it), and the
      // workflow driven on from it when this engine holds its lease.
      if (feed.observed) feed.next(foreignTransition(workflowId, record));
      if (!owns(workflowId)) {
        if (actor !== undefined && actor.idle) retire(actor);
        return;
      }
      if (actor !== undefined) track(actor.catchUp());
      else track(actorFor(workflowId).then((loaded) => loaded?.drive()));
    },

    async release(only) {
      const dropped = resident.all().filter((actor) => only(actor.workflowId));
      for (const actor of dropped) {
        // Retired first: an outcome arriving after the abort is then not recorded (the new owner runs the step again).
        retire(actor);
        actor.abortInFlight('shutdown');
      }
      timers.clear(only);
      await Promise.all(dropped.map((actor) => actor.drain()));
      return dropped.length;
    },

    inFlight: () =>
      resident
        .all()
        .filter((actor) => actor.hasWorkInFlight)
        .map((actor) => actor.workflowId),

    subscribe: (workflowId): Observable<EngineEvent> =>
      feed.pipe(
        filter((event) => event.workflowId === workflowId),
        // Its last transition (completed, failed, cancelled) is the last event: then it completes.
        takeWhile((event) => event.kind !== 'transition' || !isTerminalEventType(event.event.type), true),
      ),

    async recover(recoverOptions = {}) {
      ensureOpen();
      return recoverWorkflows({ store, logger, actorFor }, recoverOptions);
    },

    passivate: (workflowId) => resident.passivate(workflowId),

    liveCount: () => resident.count(),

    async close() {
      if (closed) return;
      closed = true;
      timers.close();
      const live = resident.all();
      for (const actor of live) actor.abortInFlight('shutdown');
      await Promise.all(live.map((actor) => actor.drain()));
      await Promise.all([...background]);
      feed.complete();
    },
  };
  return engine;
}
