import { AsyncLocalStorage } from 'node:async_hooks';
import { first, firstValueFrom, map } from 'rxjs';
import winston from 'winston';
import { type ManualClock, createManualClock } from './manualClock.js';
import {
  type Clock,
  type Engine,
  type EngineCommand,
  type RecoverResult,
  type RetryOptions,
  type StartOptions,
  type WorkflowView,
  toWorkflowEvent,
} from '../actors/index.js';
import { CommandRejectedError } from './commandRejectedError.js';
import { type EngineProcess, startEngineProcess } from './engineProcess.js';
import { type TestAudit, createTestAudit } from './testAudit.js';
import { type ArtifactStore, createMemoryArtifactStore } from '../artifacts/index.js';
import { type EventStore, type RecordedEvent, createMemoryEventStore, workflowStream } from '../eventstore/index.js';
import { type LlmProvider, createOfflineProvider } from '../llm/index.js';
import {
  type AnyWorkflowDefinition,
  type DefinitionRegistry,
  type OutputOf,
  type StartInput,
  type WorkflowEvent,
  type WorkflowEventOf,
  type WorkflowEventType,
  createRegistry,
  isTerminalEventType,
} from '../machines/index.js';

/** Options of {@link createTestEngine}. */
export interface TestEngineOptions {
  /** The definitions under test (every version you want to run or replay). */
  definitions: readonly AnyWorkflowDefinition[] | DefinitionRegistry;
  /** The model: default the deterministic offline model; pass `createScriptedProvider(...)` to script each call. */
  llm?: LlmProvider | undefined;
  /**
   * The simulated clock (default: a new `createManualClock()`): `run` and `send` fire its timers as
   * the workflow needs (sleeps, retries, signal timeouts, deadlines), so a workflow that sleeps for
   * days finishes in no real time. A step in flight is waited for: its `timeoutMs` fires only when
   * the test moves the clock past it (`clock.advance`). Advance it yourself to look at a workflow in between. With
   * `createManualClock(start, { autoAdvance: false })` they fire none: they return once the
   * workflow waits for a timer (`view.wakeAt`), and `clock.advance` moves it on.
   */
  clock?: ManualClock | undefined;
  /** Where the default clock starts: `now()` once. Prefer `clock`. */
  now?: (() => Date) | undefined;
  /**
   * The engine's `retry` option: a step's policy when it has none, and `ctx.run`'s retries inside
   * a call, which wait in real time. `{ initialDelayMs: 0 }` keeps every attempt and drops the real
   * waits (a step's own `retry` keeps its delays, on the simulated clock); `{ maxAttempts: 1 }` also
   * turns off the retries of steps that have no `retry` of their own.
   */
  retry?: RetryOptions | undefined;
}

/** A real engine on in-memory stores, with shortcuts for tests. */
export interface TestEngine {
  /** The engine itself, for anything the shortcuts do not cover (`subscribe`, `recover`, …); after `restart()`, the new one. */
  readonly engine: Engine;
  /** An in-memory event store: every recorded event is here. */
  readonly store: EventStore;
  /** The simulated clock the engine runs on. */
  readonly clock: ManualClock;
  /** An in-memory artifact store; `files` maps `<workflowId>/<name>` to content. */
  readonly artifacts: ArtifactStore & { readonly files: ReadonlyMap<string, string> };
  /**
   * Starts a workflow of the named definition and drives it until it finishes or waits for a
   * person or a signal, firing its timers on the simulated clock (without `autoAdvance`, until it
   * waits for a timer); resolves to its view (a failed workflow resolves too: check `status`). Throws what
   * `Engine.start` throws (`EngineError` `INVALID_INPUT`, `UNKNOWN_DEFINITION`, …). Given the
   * definition itself, the view's `output` has its declared output's type (`OutputOf`; null until it completes).
   */
  run<D extends string | AnyWorkflowDefinition>(definition: D, input: StartInput<D>, options?: StartOptions): Promise<TypedView<D>>;
  /**
   * Sends a command (`{ type: 'APPROVE' }`, …) or a signal (`{ type: 'payment', data }`) and drives the
   * workflow on as `run` does; resolves to its view. Given the workflow's definition first, the
   * view's `output` has its declared type, as `run`'s (a `TypeError` when the workflow is of another definition).
   * Rejects with a {@link CommandRejectedError} (its `code`, e.g. `COMMAND_NOT_ALLOWED`, and what
   * the workflow `accepts` now) if the engine refuses it; nothing is recorded then.
   */
  send(workflowId: string, command: EngineCommand): Promise<WorkflowView>;
  send<D extends AnyWorkflowDefinition>(definition: D, workflowId: string, command: EngineCommand): Promise<TypedView<D>>;
  /**
   * Drives a workflow already started (e.g. after `restart()`) as `run` does, and resolves to its
   * view when it finishes, waits for a person or a signal, or — without `autoAdvance` — waits for
   * a timer; typed by its definition when given first, as `send`. Rejects with `EngineError`
   * `WORKFLOW_NOT_FOUND` for an unknown id.
   */
  settled(workflowId: string): Promise<WorkflowView>;
  settled<D extends AnyWorkflowDefinition>(definition: D, workflowId: string): Promise<TypedView<D>>;
  /** The workflow's recorded events as stored, in order, with their metadata (pass them to `replayHistories`). */
  history(workflowId: string): Promise<RecordedEvent[]>;
  /**
   * The workflow's events as the machine reads them, in order: `WorkflowEvent`, typed by `type`
   * (`StepCompleted`'s `data.output`, `CallCompleted`'s `data.call`, …), old payloads upcast.
   */
  events(workflowId: string): Promise<WorkflowEvent[]>;
  /**
   * Resolves with the workflow's first recorded event of that type (or that `match` accepts), as
   * the machine reads it: at once when it is already recorded, else when it is. Rejects when the
   * workflow finishes without one, and at once for an id never started. For a crash at a chosen point, without a real wait: e.g.
   * `await t.whenRecorded(id, (event) => event.type === 'CallCompleted' && event.data.call === 'b')`,
   * then `t.restart()`. It watches the store, so it outlives a restart.
   */
  whenRecorded<T extends WorkflowEventType>(workflowId: string, type: T): Promise<WorkflowEventOf<T>>;
  whenRecorded(workflowId: string, match: (event: WorkflowEvent) => boolean): Promise<WorkflowEvent>;
  /**
   * A crash and a restart: the engine dies as a killed process would (what it has in flight is
   * aborted and never recorded, even by a step that ignores its signal; its timers never fire), and
   * a new engine on the same store, clock and model recovers every unfinished workflow
   * (`Engine.recover`). `engine` is the new one. Call it while a step is in flight (e.g. a scripted
   * call with `holdMs: 'untilAborted'`, or your own latch) to test that recorded calls are not made again.
   */
  restart(): Promise<RecoverResult>;
  /**
   * The workflow's audit trail as `ecl audit` shows it, from read models kept in memory and caught
   * up with the store at each call: `entries` (one per recorded event: summary, verdict, feedback,
   * model, tokens, cost, sender), `descendants` (its child workflows' usage) and `timeline` (the
   * printed lines).
   */
  audit(workflowId: string): Promise<TestAudit>;
  /** Closes the engine, then the store (an engine that `restart` killed is not waited for). */
  close(): Promise<void>;
}

/** A view whose `output` has the type the definition declares (see `WorkflowSpec.output`); by name, `JsonValue`. */
export type TypedView<D> = Omit<WorkflowView, 'output'> & { output: OutputOf<D> | null };

/**
 * A real engine on in-memory stores, for testing your workflows end to end: your step functions
 * run, model calls go to the offline or a scripted model, and every event is recorded as in
 * production. Nothing touches the disk or the network, and nothing is logged. Throws an `Error`
 * when two different definitions share a name and version.
 */
export function createTestEngine(options: TestEngineOptions): TestEngine {
  const definitions = Array.isArray(options.definitions) ? createRegistry(options.definitions) : (options.definitions as DefinitionRegistry);
  const store = createMemoryEventStore();
  const artifacts = createMemoryArtifactStore();
  const logger = winston.createLogger({ silent: true });
  const clock = options.clock ?? createManualClock(options.now?.());
  // Without autoAdvance, `settled` would wait for a timer only the test moves: `run` and `send` stop
  // there instead. Each drive runs its `settled` in its own async context, so the wait it reaches
  // (its workflow's timer, or that of a child it waits for) stops that drive and no other.
  const driving = new AsyncLocalStorage<() => void>();
  const engineClock: Clock = {
    now: () => clock.now(),
    setTimer: (callback, delayMs) => clock.setTimer(callback, delayMs),
    setDeadline: (callback, delayMs) => clock.setDeadline(callback, delayMs),
    clearTimer: (handle) => clock.clearTimer(handle),
    waiting(until) {
      clock.waiting?.(until);
      if (!clock.autoAdvance) driving.getStore()?.();
    },
  };
  const start = (): EngineProcess =>
    startEngineProcess({
      store,
      llm: options.llm ?? createOfflineProvider(),
      artifacts,
      logger,
      definitions,
      clock: engineClock,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
    });
  let running = start();
  const trail = createTestAudit(store);
  const drive = async (workflowId: string): Promise<WorkflowView> => {
    let stop = (): void => undefined;
    const atTimer = new Promise<undefined>((resolve) => (stop = () => resolve(undefined)));
    const settled = driving.run(stop, () => running.engine.settled(workflowId));
    return (await Promise.race([settled, atTimer])) ?? (await running.engine.get(workflowId))!;
  };
  /** The id, once the workflow is known to be of `definition` (a typed view must not lie about its output). */
  const ofDefinition = async (definition: AnyWorkflowDefinition, workflowId: string): Promise<string> => {
    const view = await running.engine.get(workflowId);
    if (view !== undefined && (view.definition !== definition.name || view.version !== definition.version))
      throw new TypeError(`Workflow ${workflowId} runs ${view.definition} v${view.version}, not ${definition.name} v${definition.version}`);
    return workflowId;
  };
  return {
    get engine() {
      return running.engine;
    },
    store,
    clock,
    artifacts,
    async run<D extends string | AnyWorkflowDefinition>(definition: D, input: StartInput<D>, startOptions?: StartOptions) {
      const started = await running.engine.start(definition, input, startOptions);
      // The output the definition's schema checked when its step completed.
      return (await drive(started.workflowId)) as TypedView<D>;
    },
    async send(...args: [string, EngineCommand] | [AnyWorkflowDefinition, string, EngineCommand]) {
      const [workflowId, command] = args.length === 2 ? args : [await ofDefinition(args[0], args[1]), args[2]];
      const sent = await running.engine.send(workflowId, command);
      if (!sent.accepted) throw new CommandRejectedError(sent);
      return drive(workflowId);
    },
    async settled(...args: [string] | [AnyWorkflowDefinition, string]) {
      return drive(args.length === 1 ? args[0] : await ofDefinition(args[0], args[1]));
    },
    history: (workflowId) => store.readStream(workflowStream(workflowId)),
    events: async (workflowId) => (await store.readStream(workflowStream(workflowId))).map(toWorkflowEvent),
    audit: (workflowId) => trail.audit(workflowId),
    async whenRecorded(workflowId: string, match: WorkflowEventType | ((event: WorkflowEvent) => boolean)): Promise<never> {
      const matches = typeof match === 'function' ? match : (event: WorkflowEvent) => event.type === match;
      const what = typeof match === 'function' ? 'an event that matches' : `a ${match}`;
      // An id never started (a typo) would wait forever: it is refused at once.
      if ((await store.readStream(workflowStream(workflowId), { limit: 1 })).length === 0)
        throw new Error(`No workflow ${workflowId}: start it before waiting for its events`);
      const found = await firstValueFrom(
        store.subscribeToStream(workflowStream(workflowId)).pipe(
          map(toWorkflowEvent),
          first((event) => matches(event) || isTerminalEventType(event.type)),
        ),
      ).catch(() => undefined);
      if (found === undefined || !matches(found))
        throw new Error(`Workflow ${workflowId} ${found === undefined ? 'was not recorded' : `ended (${found.type})`} without ${what}`);
      return found as never;
    },
    async restart() {
      running.crash();
      running = start();
      return running.engine.recover();
    },
    async close() {
      await running.engine.close();
      trail.close();
      await store.close();
    },
  };
}
