/**
 * The pure part of a workflow definition: names, kinds and order of its steps. Machines are
 * compiled from this alone; the effectful `run` implementations stay in the definition and are
 * looked up by step name by the runtime.
 */
export type StepKind = 'produce' | 'validate' | 'approval' | 'sleep' | 'signal' | 'route';

export interface StepStructure {
  readonly name: string;
  readonly kind: StepKind;
  /** validate: the producing step whose output it judges (the nearest producing step before it). */
  readonly validates?: string;
  /** approval: the producing step a REQUEST_REVISION sends back to. */
  readonly revises?: string;
  /** signal: the name of the signal it waits for. */
  readonly signal?: string;
  /** signal: when its timeout passes: `fail` the workflow, or `continue` with a `null` output. */
  readonly onTimeout?: 'fail' | 'continue';
  /** route: the steps it may choose. */
  readonly to?: readonly string[];
  /** route: how many times it may send the workflow back to an earlier step (required when a target is not after it). */
  readonly maxLoops?: number;
  /** route: when a back-edge would pass `maxLoops`: `fail` the workflow, or `continue` with the step after the route. */
  readonly onCap?: 'fail' | 'continue';
}

export interface WorkflowStructure {
  readonly name: string;
  readonly version: number;
  readonly steps: readonly StepStructure[];
  /** The step whose output is the workflow's (a producing or signal step); default: the last producing step that ran. */
  readonly output?: string;
}

/** The producing step whose iteration counter a step follows. */
export const loopOf = (structure: WorkflowStructure, step: StepStructure): string => (step.kind === 'validate' ? (step.validates ?? step.name) : step.name);

/** The validating step that judges `producer`, if any. */
export const validatorOf = (structure: WorkflowStructure, producer: string): string | undefined =>
  structure.steps.find((step) => step.kind === 'validate' && step.validates === producer)?.name;

/**
 * Why `signal` is no signal of the workflow, naming the ones it has; undefined when a signal step
 * waits for it.
 */
export function unknownSignal(structure: WorkflowStructure, signal: string): string | undefined {
  const signals = [...new Set(structure.steps.flatMap((step) => (step.kind === 'signal' && step.signal !== undefined ? [step.signal] : [])))];
  if (signals.includes(signal)) return undefined;
  return `Workflow "${structure.name}" has no signal step waiting for ${JSON.stringify(signal)}; ${signals.length === 0 ? 'it has no signal steps' : `its signals: ${signals.join(', ')}`}`;
}

/** States every compiled machine has beside one compound state per step. */
export const RESERVED_STATE_NAMES = ['idle', 'completed', 'failed', 'cancelled'] as const;

/** What a step's compound state is doing; the state value of a running workflow is `{ [step]: phase }`. */
export const STEP_PHASES = [
  'pending',
  'running',
  'done',
  'failed',
  'capped',
  'overBudget',
  'waiting',
  'accepted',
  'rejected',
  'revising',
  'sleeping',
  'chosen',
] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

/** Signal names start lowercase, so they never clash with the commands (APPROVE, CANCEL, ...). */
export const SIGNAL_NAME = /^[a-z][A-Za-z0-9_]*$/;

/**
 * A definition that cannot be compiled (`code` `INVALID_DEFINITION`): thrown by `defineWorkflow`
 * when the module loads; the message names the workflow and the step. Check with {@link isDefinitionError}.
 */
export class DefinitionError extends Error {
  readonly code = 'INVALID_DEFINITION';
  constructor(message: string) {
    super(message);
    this.name = 'DefinitionError';
  }
}

/** Whether `error` is a {@link DefinitionError} (by its code, not `instanceof`). */
export const isDefinitionError = (error: unknown): error is DefinitionError =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'INVALID_DEFINITION';
