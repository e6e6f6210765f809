import { activityKind } from './activity.js';
import { approvalKind } from './approval.js';
import { routeActions, routeGuards, routeKind } from './route.js';
import { signalActions, signalGuards, signalKind } from './signal.js';
import { sleepActions, sleepGuards, sleepKind } from './sleep.js';
import type { StepKind } from '../structure.js';
import type { StepKindRules } from './stepKind.js';

/** Every kind of step, by name: the one place a new kind is registered. */
export const STEP_KINDS = {
  produce: activityKind,
  validate: activityKind,
  approval: approvalKind,
  sleep: sleepKind,
  signal: signalKind,
  route: routeKind,
} satisfies Record<StepKind, StepKindRules>;

/** The guards the kinds add to the workflow machines' (workflowSetup.ts has the shared ones). */
export const KIND_GUARDS = { ...sleepGuards, ...signalGuards, ...routeGuards };
/** The context updates the kinds add, as XState actions. */
export const KIND_ACTIONS = { ...sleepActions, ...signalActions, ...routeActions };

export type { MachineBuilder, Phases, StateConfig, StepKindRules, Transitions } from './stepKind.js';
export { all, guard, merge } from './stepKind.js';
