import type { EventStore, RecordedEvent } from '../eventstore/index.js';
import { stateLabel, type DefinitionRegistry } from '../machines/index.js';
import type { ActorInit } from './actorEnv.js';
import { foldStream, loadWorkflow } from './loadWorkflow.js';
import type { WorkflowActor } from './workflowActor.js';

export interface ResidentActorsOptions {
  store: EventStore;
  definitions: DefinitionRegistry;
  /** Idle workflows kept in memory at most, and finished ones remembered (their final state). */
  maxIdle: number;
  /** A workflow leaving memory writes its snapshot cache when this many events passed since the last one. */
  passivatedSnapshotAfter: number;
  /** Whether this engine drives the workflow now (always true without a cluster). */
  owns: (workflowId: string) => boolean;
  /** Background work close() waits for (snapshot writes on eviction). */
  track: (work: Promise<unknown>) => void;
  /** Makes the actor of a workflow (the engine gives it its env). */
  create: (init: ActorInit) => WorkflowActor;
}

/**
 * Which workflows live in memory: one actor per workflow being driven or recently used, loaded
 * once however many callers ask at once; idle ones leave in least-recently-used order past
 * `maxIdle` (writing their snapshot cache), finished ones at once, remembering their final state.
 */
export function createResidentActors(options: ResidentActorsOptions) {
  const { store, definitions, maxIdle, passivatedSnapshotAfter, owns, track } = options;
  const actors = new Map<string, WorkflowActor>();
  const loading = new Map<string, Promise<WorkflowActor | undefined>>();
  /** Idle, non-terminal actors in least-recently-used order (Map keeps insertion order). */
  const idle = new Map<string, WorkflowActor>();
  /**
   * The final state of workflows that finished and left memory, oldest first, up to `maxIdle`. A
   * finished workflow can never accept a command again, so a command to one is refused from here
   * instead of rehydrating it from the store only to refuse it.
   */
  const finished = new Map<string, string>();

  const retire = (actor: WorkflowActor): void => {
    actor.retire();
    idle.delete(actor.workflowId);
    if (actors.get(actor.workflowId) === actor) actors.delete(actor.workflowId);
  };

  return {
    /** The live actor of a workflow, if it is in memory. */
    live: (workflowId: string): WorkflowActor | undefined => actors.get(workflowId),
    /** In memory or being loaded. */
    has: (workflowId: string): boolean => actors.has(workflowId) || loading.has(workflowId),
    all: (): WorkflowActor[] => [...actors.values()],
    count: (): number => actors.size,
    /** The final state of a finished workflow that left memory (absent while its actor is live). */
    finalState: (workflowId: string): string | undefined => (actors.has(workflowId) ? undefined : finished.get(workflowId)),
    wasFinished: (workflowId: string): boolean => finished.has(workflowId),

    /** A workflow being started here: its actor is live from now on. */
    add(actor: WorkflowActor): void {
      actors.set(actor.workflowId, actor);
    },

    /** Out of memory: the actor records nothing more; the next caller loads a fresh one. */
    retire,

    /**
     * The live actor, rehydrating it when it was passivated (from `scanned`, its whole stream, when
     * recovery's scan just read it); concurrent callers share one load.
     */
    async actorFor(workflowId: string, scanned?: readonly RecordedEvent[]): Promise<WorkflowActor | undefined> {
      let live = actors.get(workflowId);
      // A workflow another worker drives is read fresh each time (the copy here may be behind).
      if (live !== undefined && live.idle && !owns(workflowId)) {
        retire(live);
        live = undefined;
      }
      if (live !== undefined) {
        if (idle.has(workflowId)) {
          idle.delete(workflowId);
          idle.set(workflowId, live);
        }
        return live;
      }
      const inProgress = loading.get(workflowId);
      if (inProgress !== undefined) return inProgress;
      const load = (async () => {
        const loaded = scanned === undefined ? await loadWorkflow(store, definitions, workflowId) : foldStream(definitions, workflowId, scanned);
        if (loaded === undefined) return undefined;
        const actor = options.create({ workflowId, ...loaded });
        actors.set(workflowId, actor);
        return actor;
      })();
      loading.set(workflowId, load);
      try {
        return await load;
      } finally {
        loading.delete(workflowId);
      }
    },

    /** The actor has nothing in flight: finished ones leave memory at once, waiting ones when the idle cap pushes them out. */
    onIdle(actor: WorkflowActor): void {
      if (actor.retired || actors.get(actor.workflowId) !== actor) return;
      if (actor.snapshot.status !== 'active') {
        retire(actor);
        finished.set(actor.workflowId, stateLabel(actor.snapshot));
        if (finished.size > maxIdle) finished.delete(finished.keys().next().value as string);
        return;
      }
      // Another worker drives it: a copy kept here would only go stale.
      if (!owns(actor.workflowId)) return retire(actor);
      idle.delete(actor.workflowId);
      idle.set(actor.workflowId, actor);
      if (idle.size > maxIdle) {
        for (const [id, candidate] of idle) {
          if (idle.size <= maxIdle) break;
          if (candidate.idle) {
            retire(candidate);
            track(candidate.writeSnapshot(passivatedSnapshotAfter));
          } else idle.delete(id);
        }
      }
    },

    /** `Engine.passivate`: idle actors leave memory, writing their snapshot cache. */
    async passivate(workflowId?: string): Promise<number> {
      const targets = workflowId === undefined ? [...actors.values()] : [actors.get(workflowId)].filter((actor) => actor !== undefined);
      let count = 0;
      for (const actor of targets) {
        if (!actor.idle) continue;
        retire(actor);
        if (actor.snapshot.status === 'active') await actor.writeSnapshot(passivatedSnapshotAfter);
        count++;
      }
      return count;
    },
  };
}
