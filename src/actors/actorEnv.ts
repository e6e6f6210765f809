import type { AppendFence, EventStore } from '../eventstore/index.js';
import type { AnyWorkflowDefinition, StepDecisions, WorkflowSnapshot } from '../machines/index.js';
import type { TransitionSink } from './publishTransitions.js';
import type { StepRunner } from './stepRunner.js';
import type { WorkflowActor } from './workflowActor.js';
import type { WorkflowOwnership } from './types.js';

/** What every actor shares: the engine's ports and bookkeeping. The actor calls these; the engine never writes the actor's state. */
export interface ActorEnv extends TransitionSink {
  store: EventStore;
  now: () => Date;
  newId: () => string;
  runStep: StepRunner;
  /** Called whenever the actor has nothing in flight (waiting for a person, or finished). */
  onIdle: (actor: WorkflowActor) => void;
  /** Told how many events each append of the actor recorded. */
  recorded: (events: number) => void;
  /** Background work (snapshot writes) that close() must wait for. */
  track: (work: Promise<unknown>) => void;
  /** True once close() began. */
  closing: () => boolean;
  /** The actor writes its snapshot cache every this many events. */
  snapshotEvery: number;
  /** A definition's decisions, with the engine's retry options under a step's own (for a timeout found after a restart). */
  decisionsOf: (definition: AnyWorkflowDefinition) => StepDecisions;
  /** Wakes the workflow (`drive`) at `at` (ISO), replacing its earlier wake-up; undefined: none. */
  wakeAt: (workflowId: string, at: string | undefined) => void;
  /**
   * Whether this engine drives the workflow now (runs its steps and timers), and the fence its
   * appends carry then. Without a cluster every workflow is owned and nothing is fenced.
   */
  ownership: (workflowId: string) => Owned;
  /** A fenced append failed with LEASE_LOST: the engine stops driving that partition at once. */
  leaseLost: (fence: AppendFence) => void;
  /** Told the event ids of each append before it is made, and again if it fails (cluster: the log follower tells them from other writers'). */
  ownAppends: Pick<WorkflowOwnership, 'recording' | 'notRecorded'> | undefined;
}

/** See `ActorEnv.ownership`. */
export type Owned = { owned: true; fence?: AppendFence } | { owned: false };

/** What an actor starts from: a workflow not recorded yet (definition and id), or the fold of a stored one (`loadWorkflow`). */
export interface ActorInit {
  definition: AnyWorkflowDefinition;
  workflowId: string;
  tenant?: string;
  /** Default: the definition's initial state, for a workflow not recorded yet. */
  snapshot?: WorkflowSnapshot;
  /** Revision of the last recorded event; default -1 (nothing recorded yet). */
  revision?: number;
  lastEventId?: string;
  /** Revision the cached snapshot covers; default -1 (none). */
  snapshotRevision?: number;
}
