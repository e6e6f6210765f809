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

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Checks the structure's own rules; throws a DefinitionError naming the offending step. */
export function assertValidStructure(structure: WorkflowStructure): void {
  const fail = (message: string): never => {
    throw new DefinitionError(`Workflow "${structure.name}": ${message}`);
  };
  if (!NAME.test(structure.name)) fail('the name must start with a letter and hold only letters, digits and _');
  if (!Number.isInteger(structure.version) || structure.version < 1) fail('version must be an integer >= 1');
  if (structure.steps.length === 0) fail('needs at least one step');
  const seen = new Set<string>();
  structure.steps.forEach((step, index) => {
    if (!NAME.test(step.name)) fail(`step "${step.name}": names start with a letter and hold only letters, digits and _`);
    if ((RESERVED_STATE_NAMES as readonly string[]).includes(step.name)) fail(`step "${step.name}": the name is reserved`);
    if (seen.has(step.name)) fail(`step "${step.name}" appears twice`);
    seen.add(step.name);
    const before = structure.steps.slice(0, index);
    if (step.kind === 'validate' && (step.validates === undefined || !before.some((other) => other.name === step.validates && other.kind === 'produce'))) {
      fail(`validating step "${step.name}" must follow the producing step it judges`);
    }
    if (step.kind === 'signal' && (step.signal === undefined || !SIGNAL_NAME.test(step.signal))) {
      fail(`signal step "${step.name}": the signal's name must start with a lowercase letter and hold only letters, digits and _`);
    }
    if (step.kind === 'route') assertValidRoute(structure, step, index, fail);
    if (step.kind === 'approval') {
      if (index === 0) fail(`approval gate "${step.name}" cannot be the first step`);
      if (structure.steps[index - 1]?.kind === 'approval') fail(`approval gate "${step.name}" cannot follow another gate`);
      if (step.revises !== undefined && !before.some((other) => other.name === step.revises && other.kind === 'produce')) {
        fail(`approval gate "${step.name}" revises "${step.revises}", which is not a producing step before it`);
      }
    }
  });
}

/** Signal names start lowercase, so they never clash with the commands (APPROVE, CANCEL, ...). */
export const SIGNAL_NAME = /^[a-z][A-Za-z0-9_]*$/;

/** A route's targets exist and can be entered, and every way back is capped (no uncapped cycle). */
function assertValidRoute(structure: WorkflowStructure, route: StepStructure, at: number, fail: (message: string) => never): void {
  const targets = route.to ?? [];
  if (targets.length === 0) fail(`route "${route.name}" needs at least one step to choose from`);
  for (const target of targets) {
    if (target === 'completed') continue;
    const index = structure.steps.findIndex((step) => step.name === target);
    if (index < 0) fail(`route "${route.name}" may choose "${target}", which is not a step of this workflow`);
    if (index === at) fail(`route "${route.name}" cannot choose itself`);
    if (structure.steps[index]?.kind === 'validate') fail(`route "${route.name}" cannot choose validating step "${target}": choose the step it judges`);
    if (index < at && (route.maxLoops === undefined || !Number.isInteger(route.maxLoops) || route.maxLoops < 1 || route.onCap === undefined)) {
      fail(`route "${route.name}" may go back to "${target}": a loop needs maxLoops (an integer >= 1) and onCap ('fail' or 'continue')`);
    }
  }
}

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
