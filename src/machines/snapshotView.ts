import type { SnapshotFrom } from 'xstate';
import type { WorkflowMachine } from './compileMachine.js';
import { STRUCTURE_META_KEY } from './compileMachine.js';
import { STEP_PHASES, type StepPhase, type WorkflowStructure } from './structure.js';

export type WorkflowSnapshot = SnapshotFrom<WorkflowMachine>;
/**
 * Where a workflow stands: `idle` (not started), `running` (a step in flight or due), `waiting`
 * (for a person's command), or finished: `completed`, `failed`, `cancelled`.
 */
export type WorkflowStatus = 'idle' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

const FINISHED: ReadonlySet<string> = new Set<WorkflowStatus>(['completed', 'failed', 'cancelled']);
/** Completed, failed or cancelled: nothing more happens to it (a status read model's string too). */
export const isFinishedStatus = (status: string): boolean => FINISHED.has(status);

export interface StateView {
  status: WorkflowStatus;
  /** The step the workflow is at, when running or waiting. */
  step?: string;
  phase?: StepPhase;
  /** The iteration of that step's loop. */
  iteration?: number;
}

/** The structure a compiled machine carries in its root meta. */
export function structureOf(snapshot: WorkflowSnapshot): WorkflowStructure {
  const meta = snapshot.machine.root.meta as Record<string, unknown> | undefined;
  const structure = meta?.[STRUCTURE_META_KEY] as WorkflowStructure | undefined;
  if (structure === undefined) throw new Error(`Machine "${snapshot.machine.id}" carries no workflow structure in its root meta`);
  return structure;
}

const TERMINAL: Record<string, WorkflowStatus> = { completed: 'completed', failed: 'failed', cancelled: 'cancelled', idle: 'idle' };

/** Reads `{ <step>: <phase> }` (or a top-level state name) into a status, step and phase. */
export function viewOf(snapshot: WorkflowSnapshot): StateView {
  const value = snapshot.value as string | Record<string, string>;
  if (typeof value === 'string') return { status: TERMINAL[value] ?? 'running' };
  for (const step in value) {
    const phase = value[step] as StepPhase;
    if (!(STEP_PHASES as readonly string[]).includes(phase)) throw new Error(`Unknown phase "${phase}" of step "${step}"`);
    const iteration = iterationOf(snapshot, step);
    return { status: phase === 'waiting' ? 'waiting' : 'running', step, phase, iteration };
  }
  return { status: 'running' };
}

/** The loop iteration a step runs at now: validating steps share their producer's counter. */
export function iterationOf(snapshot: WorkflowSnapshot, step: string): number {
  const structure = structureOf(snapshot);
  const spec = structure.steps.find((candidate) => candidate.name === step);
  const loop = spec?.kind === 'validate' ? (spec.validates ?? step) : step;
  return snapshot.context.iterations[loop] ?? 1;
}

/** The iteration a validating step's loop counts its cap from (0, or where a route last sent its producer back). */
export function loopBaseOf(snapshot: WorkflowSnapshot, step: string): number {
  const spec = structureOf(snapshot).steps.find((candidate) => candidate.name === step);
  return snapshot.context.routing?.iterationBase[spec?.validates ?? step] ?? 0;
}

/** A short human label of the state value, e.g. `review.waiting` or `completed`. */
export function stateLabel(snapshot: WorkflowSnapshot): string {
  const view = viewOf(snapshot);
  return view.step === undefined ? view.status : `${view.step}.${view.phase}`;
}

export const isTerminal = (snapshot: WorkflowSnapshot): boolean => snapshot.status === 'done';
