import type { WorkflowContext } from '../context.js';
import { type MachineArgs, assignUpdate, dataOf } from '../machineArgs.js';
import { type Decision, type StepDecisions, append, decisionFailed, indexIn } from '../decisions.js';
import type { StepStructure, WorkflowStructure } from '../structure.js';
import { type StepKindRules, guard, merge, noPhase } from './stepKind.js';

/**
 * `route`: chooses the next step with the definition's function; RouteChosen records the choice.
 * A choice of the route itself or an earlier step is a loop, allowed up to `maxLoops`; past it,
 * `onCap` goes on after the route (`continue`) or fails the workflow (`fail`).
 */
export const routeKind: StepKindRules = {
  validate(structure, route, at, fail) {
    const targets = route.to ?? [];
    if (targets.length === 0) fail(`route "${route.name}" needs at least one step to choose from`);
    for (const target of targets) {
      if (target === 'completed') continue;
      const index = structure.steps.findIndex((step) => step.name === target);
      if (index < 0) fail(`route "${route.name}" may choose "${target}", which is not a step of this workflow`);
      if (index === at) fail(`route "${route.name}" cannot choose itself`);
      if (structure.steps[index]?.kind === 'validate') fail(`route "${route.name}" cannot choose validating step "${target}": choose the step it judges`);
      const capped =
        route.maxLoops !== undefined && Number.isInteger(route.maxLoops) && route.maxLoops >= 1 && (route.onCap === 'fail' || route.onCap === 'continue');
      if (index <= at && !capped) {
        fail(`route "${route.name}" may go back to "${target}": a loop needs maxLoops (an integer >= 1) and onCap ('fail' or 'continue')`);
      }
    }
  },

  entry: (step, builder, guards) => ({
    transitions: {
      RouteChosen: [
        {
          target: builder.ref(`${step.name}.chosen`),
          guard: guards([guard('isStep', { step: step.name })]),
          actions: { type: 'routeChosen', params: { backEdges: backEdgesOf(builder.structure, step) } },
        },
      ],
    },
  }),

  state(step, index, builder) {
    // After the choice: enter the chosen step (the one after the route when a loop's cap was reached with `continue`).
    const targets = [...new Set([...(step.to ?? []), builder.structure.steps[index + 1]?.name ?? 'completed'])];
    return builder.compound(step, 'pending', {
      pending: { on: builder.enter(index) },
      chosen: {
        on: merge(
          builder.failWorkflow,
          ...targets.map((target) => builder.enter(builder.indexOf(target), [guard('routedTo', { route: step.name, to: target })])),
        ),
      },
    });
  },

  enter: (step, deciding) => choose(deciding.structure, deciding.context, step, deciding.needs(step).decisions),

  decide(step, phase, deciding) {
    switch (phase) {
      case 'pending':
        return deciding.enter(deciding.structure.steps.indexOf(step));
      case 'chosen': {
        const route = deciding.context.routing?.routes[step.name];
        if (route === undefined) throw new Error(`Route "${step.name}" has no recorded choice`);
        if (route.to === step.name) {
          return append({
            type: 'WorkflowFailed',
            data: { v: 1, reason: `Route "${step.name}" would loop a ${route.loops + 1}th time (cap ${step.maxLoops ?? 0})` },
          });
        }
        return deciding.enter(indexIn(deciding.structure, route.to));
      }
      default:
        return noPhase(step, phase);
    }
  },
};

/** Per target at or before the route: the producing steps a loop back to it runs again. */
function backEdgesOf(structure: WorkflowStructure, route: StepStructure): Record<string, string[]> {
  const at = structure.steps.indexOf(route);
  const backEdges: Record<string, string[]> = {};
  for (const target of route.to ?? []) {
    const from = indexIn(structure, target);
    if (from <= at) backEdges[target] = structure.steps.slice(from, at + 1).flatMap((step) => (step.kind === 'produce' ? [step.name] : []));
  }
  return backEdges;
}

/** The route's choice, recorded with its loop count. */
function choose(structure: WorkflowStructure, context: WorkflowContext, route: StepStructure, decisions: StepDecisions): Decision {
  let chose: string;
  try {
    chose = decisions.route(route.name, context);
  } catch (error) {
    return decisionFailed(`Route "${route.name}" failed to choose: ${(error as Error).message}`);
  }
  if (typeof chose !== 'string' || !(route.to ?? []).includes(chose)) {
    return decisionFailed(`Route "${route.name}" chose ${JSON.stringify(chose)}, which is not one of ${(route.to ?? []).join(', ')}`);
  }
  const at = structure.steps.indexOf(route);
  const loops = context.routing?.routes[route.name]?.loops ?? 0;
  if (indexIn(structure, chose) > at) return append({ type: 'RouteChosen', data: { v: 1, step: route.name, chose, to: chose, loops } });
  if (loops < (route.maxLoops ?? 0)) return append({ type: 'RouteChosen', data: { v: 1, step: route.name, chose, to: chose, loops: loops + 1 } });
  // The cap: `continue` goes to the step after the route; `fail` "goes" to the route itself, which the chosen phase fails.
  const to = route.onCap === 'continue' ? (structure.steps[at + 1]?.name ?? 'completed') : route.name;
  return append({ type: 'RouteChosen', data: { v: 1, step: route.name, chose, to, loops, capReached: true } });
}

/** The guards of route steps (registered in `KIND_GUARDS`). */
export const routeGuards = {
  /** Where the route last sent the workflow. */
  routedTo: ({ context }: MachineArgs, params: { route: string; to: string }) => context.routing?.routes[params.route]?.to === params.to,
};

const routeUpdates = {
  /**
   * A route's choice. A back-edge (`loops` grew) sends the producing steps from the target to the
   * route (`backEdges[to]`) to a new iteration, each validating loop counting its cap from there.
   */
  routeChosen: ({ context, event }: MachineArgs, params: { backEdges: Record<string, readonly string[]> }): Partial<WorkflowContext> => {
    const data = dataOf(event, 'RouteChosen');
    if (data === undefined) return {};
    const before = context.routing;
    const routes = { ...before?.routes, [data.step]: { to: data.to, loops: data.loops } };
    const looped = data.loops > (before?.routes[data.step]?.loops ?? 0);
    const producers = looped ? (params.backEdges[data.to] ?? []) : [];
    if (producers.length === 0) return { routing: { routes, iterationBase: before?.iterationBase ?? {} } };
    const iterations = { ...context.iterations };
    const iterationBase = { ...before?.iterationBase };
    for (const step of producers) {
      if (!(step in context.outputs)) continue;
      const next = (iterations[step] ?? 1) + 1;
      iterations[step] = next;
      iterationBase[step] = next - 1;
    }
    return { routing: { routes, iterationBase }, iterations };
  },
};

/** The context updates of route steps, as XState actions (registered in `KIND_ACTIONS`). */
export const routeActions = {
  routeChosen: assignUpdate(routeUpdates.routeChosen),
};
