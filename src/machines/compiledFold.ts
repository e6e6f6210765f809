import { initialTransition, type AnyStateNode, type StateValue } from 'xstate';
import type { WorkflowMachine } from './compileMachine.js';
import type { WorkflowContext } from './context.js';
import type { WorkflowEvent } from './events.js';
import { EventNotAcceptedError, freezeContext, type Fold, type FoldedState } from './fold.js';
import { contextUpdates, workflowActions, workflowGuards, type MachineArgs } from './workflowSetup.js';

/** The state of a compiled fold: the active leaf state node (which gives value and status) and the context. */
export class CompiledState implements FoldedState {
  constructor(
    readonly leaf: Leaf,
    readonly context: WorkflowContext,
  ) {}
  get value(): StateValue {
    return this.leaf.value;
  }
  get status(): 'active' | 'done' {
    return this.leaf.status;
  }
}

/** A leaf state node, compiled (the fold's own bookkeeping). */
export interface Leaf {
  readonly value: StateValue;
  readonly status: 'active' | 'done';
  /** Per event type, the transitions XState would consider, in its order: the leaf's own, then each ancestor's. */
  readonly candidates: Map<string, Candidate[]>;
}

interface Candidate {
  readonly guard: ((args: MachineArgs) => boolean) | undefined;
  readonly guardName: string;
  readonly sourceId: string;
  readonly updates: readonly ((args: MachineArgs) => Partial<WorkflowContext>)[];
  /** The leaf the transition ends in (a compound target enters its initial states); undefined when targetless. */
  readonly target: Leaf | undefined;
}

type Named = { type: string; params?: unknown } | string;
const nameOf = (spec: Named): string => (typeof spec === 'string' ? spec : spec.type);
const paramsOf = (spec: Named): unknown => (typeof spec === 'string' ? undefined : spec.params);

class Unsupported extends Error {}
const needs = (condition: boolean, reason: string): void => {
  if (!condition) throw new Unsupported(reason);
};

/**
 * `createFolder`'s fold without XState's general algorithm: a table built once from the machine's
 * own state nodes and transitions, running the machine's own guards and context updates. Replay
 * folds long histories with it; the engine and `replay --verify` keep XState's `transition`.
 *
 * It covers exactly the shape `compileMachine` builds: one active leaf (no parallel or history
 * states), transitions whose actions are the workflow's `assign` actions, no entry, exit, initial,
 * eventless, delayed or invoked behaviour, final states only at the top, no machine output. Within
 * that shape XState's macrostep reduces to: the first enabled candidate from the leaf upwards, its
 * context updates in order, then its target's initial leaf. For any other machine this returns
 * undefined and callers fold with XState. A property test checks value, context, status and
 * rejections against `transition` on generated histories.
 */
export function compileFold(machine: WorkflowMachine): Fold<CompiledState> | undefined {
  try {
    return buildFold(machine);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

/** Why `compileFold` gives no fold for this machine, or undefined when it gives one (for tests and docs). */
export function compiledFoldUnsupported(machine: WorkflowMachine): string | undefined {
  try {
    buildFold(machine);
    return undefined;
  } catch (error) {
    if (error instanceof Unsupported) return error.message;
    throw error;
  }
}

function buildFold(machine: WorkflowMachine): Fold<CompiledState> {
  const root = machine.root as AnyStateNode;
  needs(root.output === undefined, 'the machine has an output');

  const nodes: AnyStateNode[] = [];
  const visit = (node: AnyStateNode): void => {
    nodes.push(node);
    for (const child of Object.values(node.states) as AnyStateNode[]) visit(child);
  };
  visit(root);
  for (const node of nodes) checkNode(node, root, machine);

  const leaves = new Map<AnyStateNode, Leaf>();
  for (const node of nodes) {
    if (node.type === 'atomic' || node.type === 'final')
      leaves.set(node, { value: stateValueOf(node), status: node.type === 'final' ? 'done' : 'active', candidates: new Map() });
  }
  for (const [node, leaf] of leaves) addCandidates(node, leaf.candidates, (target) => leaves.get(initialLeaf(target))!);

  const evaluate = (candidate: Candidate, args: MachineArgs): boolean => {
    try {
      return candidate.guard!(args);
    } catch (error) {
      // XState's wording, so a replay reports a failing guard the same way either fold ran it.
      throw new Error(
        `Unable to evaluate guard '${candidate.guardName}' in transition for event '${args.event.type}' in state node '${candidate.sourceId}':\n${(error as Error).message}`,
        { cause: error },
      );
    }
  };

  const [start] = initialTransition(machine);
  const startLeaf = [...leaves.values()].find((leaf) => JSON.stringify(leaf.value) === JSON.stringify(start.value));
  needs(startLeaf !== undefined, 'the initial state is not a single leaf');
  const initialState = new CompiledState(startLeaf!, freezeContext(start.context));

  const apply = (state: CompiledState, event: WorkflowEvent): CompiledState => {
    const candidates = state.leaf.candidates.get(event.type);
    if (candidates !== undefined) {
      const args: MachineArgs = { context: state.context, event };
      for (const candidate of candidates) {
        if (candidate.guard !== undefined && !evaluate(candidate, args)) continue;
        const target = candidate.target ?? state.leaf;
        // XState hands back the very same snapshot when nothing changed: the event is not accepted.
        if (target === state.leaf && candidate.updates.length === 0) break;
        let context = state.context;
        for (const update of candidate.updates) context = Object.assign({}, context, update({ context, event }));
        return new CompiledState(target, context);
      }
    }
    throw new EventNotAcceptedError(event.type, state.value);
  };
  return {
    initial: () => initialState,
    apply,
    fold(events, from) {
      let state = from ?? initialState;
      for (const event of events) state = apply(state, event);
      return state;
    },
  };
}

/**
 * A guard or action the compiled fold may run for this machine: one of the workflow's own, by its
 * own name (not an inherited `toString`), and the very function the machine implements it with.
 */
function isShared(table: object, implementations: Record<string, unknown>, name: string): boolean {
  return Object.hasOwn(table, name) && Object.hasOwn(implementations, name) && implementations[name] === (table as Record<string, unknown>)[name];
}

function checkGuard(guard: Named | undefined, machine: WorkflowMachine, where: string): void {
  if (guard === undefined) return;
  needs(typeof guard !== 'function' && typeof paramsOf(guard) !== 'function', `${where} has an inline guard`);
  const name = nameOf(guard);
  needs(isShared(workflowGuards, machine.implementations.guards, name), `${where} uses a guard "${name}" of its own`);
  // allOf runs the shared step guards itself: the machine must implement those the same way.
  if (name === 'allOf') for (const part of (paramsOf(guard) as { guards: Named[] }).guards) checkGuard(part, machine, where);
}

function checkNode(node: AnyStateNode, root: AnyStateNode, machine: WorkflowMachine): void {
  const where = `state ${node.id}`;
  needs(node.type === 'compound' || node.type === 'atomic' || node.type === 'final', `${where} is ${node.type}`);
  needs(node.entry.length === 0 && node.exit.length === 0, `${where} has entry or exit actions`);
  needs(
    node.config.invoke === undefined && node.config.after === undefined && node.always === undefined,
    `${where} invokes, waits or has eventless transitions`,
  );
  if (node.type === 'compound') {
    const initial = node.initial;
    needs(initial !== undefined && initial.actions.length === 0 && initial.target.length === 1, `${where} has initial actions`);
  }
  if (node.type === 'final') {
    needs(
      node.parent === root && node.transitions.size === 0 && node.output === undefined,
      `${where} is a final state below the top, with transitions or with an output`,
    );
  }
  if (node === root) needs(node.transitions.size === 0, 'the root has transitions');
  for (const [descriptor, transitions] of node.transitions) {
    needs(descriptor !== '*' && !descriptor.endsWith('.*'), `${where} has a wildcard transition`);
    for (const transition of transitions) {
      needs((transition.target?.length ?? 0) <= 1, `${where} has a transition to several targets`);
      checkGuard(transition.guard as Named | undefined, machine, where);
      for (const action of transition.actions as Named[]) {
        needs(typeof action !== 'function' && typeof paramsOf(action) !== 'function', `${where} has an inline action`);
        needs(
          isShared(workflowActions, machine.implementations.actions, nameOf(action)),
          `${where} has an action "${nameOf(action)}" other than the workflow's context updates`,
        );
      }
    }
  }
}

/** Candidates per event type from the leaf upwards, with the guards and updates bound to their parameters. */
function addCandidates(leaf: AnyStateNode, candidates: Map<string, Candidate[]>, leafOf: (target: AnyStateNode) => Leaf): void {
  for (let node: AnyStateNode | undefined = leaf; node !== undefined; node = node.parent) {
    for (const [eventType, transitions] of node.transitions) {
      const list = candidates.get(eventType) ?? [];
      for (const transition of transitions) {
        const guardSpec = transition.guard as Named | undefined;
        const guard =
          guardSpec === undefined
            ? undefined
            : bind(workflowGuards[nameOf(guardSpec) as keyof typeof workflowGuards] as (args: MachineArgs, params: unknown) => boolean, paramsOf(guardSpec));
        const updates = (transition.actions as Named[]).map((action) =>
          bind(
            contextUpdates[nameOf(action) as keyof typeof contextUpdates] as (args: MachineArgs, params: unknown) => Partial<WorkflowContext>,
            paramsOf(action),
          ),
        );
        list.push({
          guard,
          guardName: guardSpec === undefined ? '' : nameOf(guardSpec),
          sourceId: node.id,
          updates,
          target: transition.target?.[0] === undefined ? undefined : leafOf(transition.target[0]),
        });
      }
      candidates.set(eventType, list);
    }
  }
}

const bind =
  <R>(fn: (args: MachineArgs, params: unknown) => R, params: unknown) =>
  (args: MachineArgs): R =>
    fn(args, params);

/** The atomic or final state entered when `node` is targeted: its initial descendants. */
function initialLeaf(node: AnyStateNode): AnyStateNode {
  let leaf = node;
  while (leaf.type === 'compound') leaf = leaf.initial.target[0]!;
  return leaf;
}

/** The state value of a leaf: `'completed'` at the top, `{ draft: 'running' }` below it. */
function stateValueOf(leaf: AnyStateNode): StateValue {
  const [first, ...rest] = leaf.path as string[];
  if (first === undefined) return {};
  let value: StateValue = rest.length === 0 ? first : (rest.at(-1) as string);
  for (let index = rest.length - 2; index >= 0; index -= 1) value = Object.freeze({ [rest[index]!]: value });
  return rest.length === 0 ? value : Object.freeze({ [first]: value });
}
