import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type StepContext,
  type WorkflowDefinition,
  createFolder,
  createRegistry,
  defineWorkflow,
  foldWithTransition,
  isDefinitionError,
  isEventNotAccepted,
} from '../../src/machines/index.js';
import { brief, serial3 } from '../support/definitions.js';
import { ev, workflowSpec } from '../../src/testing/index.js';

describe('compiled machines are pure', () => {
  it.each([brief, serial3])('$name has no invoke, no delayed transition, no entry/exit effects', (definition) => {
    const nodes = [definition.machine.root];
    for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
      expect(node.invoke, node.id).toEqual([]);
      expect(node.after, node.id).toEqual([]);
      expect(node.entry, node.id).toEqual([]);
      expect(node.exit, node.id).toEqual([]);
      nodes.push(...Object.values(node.states));
    }
  });

  it("the fast folder gives exactly what XState's pure transition gives", () => {
    const spec = workflowSpec(brief);
    const history = [
      spec.started({ instructions: 'x', documents: [{ name: 'a', text: 'b' }], approval: true }),
      ev.stepStarted('extract'),
      ev.stepCompleted('extract', 1, 'f'),
      ev.stepStarted('draft'),
      ev.stepStarted('draft', 1, 2),
      ev.stepCompleted('draft', 1, 'd', 2),
      ev.stepStarted('review'),
      ev.stepCompleted('review', 1, { verdict: 'approve', feedback: '' }),
      ev.inputRequested('approval', 'Approval required before continuing', ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL']),
    ];
    const fast = createFolder(brief.machine).fold(history);
    const reference = foldWithTransition(brief.machine, history);
    expect(fast.value).toEqual(reference.value);
    expect(fast.context).toEqual(reference.context);
    expect(fast.value).toEqual({ approval: 'waiting' });
  });

  it('folding an event the machine does not accept is an error, not a silent no-op', () => {
    const folder = createFolder(serial3.machine);
    const started = workflowSpec(serial3).started({});
    expect(() => folder.fold([started, ev.stepCompleted('one', 1, null)])).toThrowError(expect.objectContaining({ code: 'EVENT_NOT_ACCEPTED' }));
    try {
      folder.fold([started, ev.stepStarted('two')]);
    } catch (error) {
      expect(isEventNotAccepted(error)).toBe(true);
    }
  });

  it("every workflow starts from one shared initial snapshot, equal to XState's and safe from mutation", () => {
    const folder = createFolder(serial3.machine);
    const initial = folder.initial();
    expect(folder.initial()).toBe(initial);
    expect(initial.value).toEqual(foldWithTransition(serial3.machine, []).value);
    expect(initial.context).toEqual(foldWithTransition(serial3.machine, []).context);
    expect(() => {
      (initial.context as { outputs: Record<string, unknown> }).outputs.one = 'leak';
    }).toThrow(TypeError);
    const spec = workflowSpec(serial3);
    const first = folder.fold([spec.started({}), ev.stepStarted('one'), ev.stepCompleted('one', 1, 'a')], initial);
    const second = folder.fold([spec.started({}), ev.stepStarted('one')], initial);
    expect(first.context.outputs).toEqual({ one: 'a' });
    expect(second.context.outputs).toEqual({});
    expect(initial.context.outputs).toEqual({});
  });

  it('a persisted snapshot restores to the same state and context', () => {
    const spec = workflowSpec(serial3);
    const folder = createFolder(serial3.machine);
    const snapshot = folder.fold([spec.started({}), ev.stepStarted('one'), ev.stepCompleted('one', 1, null), ev.stepStarted('two')]);
    const restored = folder.restore(JSON.parse(JSON.stringify(folder.persist(snapshot))));
    expect(restored.value).toEqual(snapshot.value);
    expect(restored.context).toEqual(snapshot.context);
    expect(folder.apply(restored, ev.stepCompleted('two', 1, null)).value).toEqual({ two: 'done' });
  });
});

describe('serial3', () => {
  const spec = workflowSpec(serial3);
  it('runs its three steps in order and completes with the last output', () => {
    spec.whenStarted({}).then([spec.started({}), ev.stepStarted('one')]);
    spec
      .given(
        spec.started({}),
        ev.stepStarted('one'),
        ev.stepCompleted('one', 1, null),
        ev.stepStarted('two'),
        ev.stepCompleted('two', 1, null),
        ev.stepStarted('three'),
      )
      .whenRecorded(ev.stepCompleted('three', 1, 'last'))
      .then([ev.stepCompleted('three', 1, 'last'), ev.completed('last')]);
  });
});

describe('budget', () => {
  const judge = async () => ({ verdict: 'approve' as const, feedback: '' });
  const make = (onExceed: 'fail' | 'escalate') =>
    defineWorkflow({
      name: 'budgeted',
      version: 1,
      input: z.object({}),
      budget: { maxTokens: 100, onExceed },
      steps: [
        { kind: 'produce', name: 'write', run: async () => 'x' },
        { kind: 'validate', name: 'check', run: judge, maxIterations: 2, onCap: 'fail' },
      ],
    });
  const llm = { model: 'm', inputTokens: 90, outputTokens: 20, costUsd: 0.01, latencyMs: 1, attempts: 1, promptHash: 'p' };

  it('crossing it records BudgetExceeded and fails by policy', () => {
    const spec = workflowSpec(make('fail'));
    spec
      .given(spec.started({}), ev.stepStarted('write'))
      .whenRecorded(ev.stepCompleted('write', 1, 'x', 1, { llm }))
      .then([
        ev.stepCompleted('write', 1, 'x', 1, { llm }),
        { type: 'BudgetExceeded', data: { v: 1, step: 'write', limit: 'tokens', max: 100, used: 110, policy: 'fail' } },
        ev.failed(/Budget exceeded after "write"/),
      ]);
  });

  it('escalating waits; APPROVE continues without stopping for the budget again', () => {
    const spec = workflowSpec(make('escalate'));
    const waiting = [
      spec.started({}),
      ev.stepStarted('write'),
      ev.stepCompleted('write', 1, 'x', 1, { llm }),
      { type: 'BudgetExceeded', data: { v: 1, step: 'write', limit: 'tokens', max: 100, used: 110, policy: 'escalate' } } as const,
      ev.inputRequested('write', 'x', ['APPROVE', 'REJECT', 'CANCEL']),
    ];
    spec.given(...waiting).thenState('write.waiting');
    spec
      .given(...waiting)
      .when({ type: 'REQUEST_REVISION', feedback: 'no' })
      .thenRejected({ code: 'COMMAND_NOT_ALLOWED', accepts: ['APPROVE', 'REJECT', 'CANCEL'] });
    spec
      .given(...waiting)
      .when({ type: 'APPROVE' })
      .then([ev.decision('write', 'approve'), ev.stepStarted('check')]);
  });
});

describe('definition API', () => {
  it('types step contexts from the input schema', () => {
    const definition = defineWorkflow({
      name: 'typed',
      version: 2,
      input: z.object({ topic: z.string(), rounds: z.number().default(2) }),
      steps: [
        {
          kind: 'produce',
          name: 'write',
          run: async (ctx) => {
            expectTypeOf(ctx.input).toEqualTypeOf<{ topic: string; rounds: number }>();
            expectTypeOf(ctx).toEqualTypeOf<StepContext<{ topic: string; rounds: number }>>();
            return ctx.input.topic;
          },
        },
        {
          kind: 'validate',
          name: 'judge',
          run: async () => ({ verdict: 'approve', feedback: '' }),
          maxIterations: (input) => input.rounds,
          onCap: 'accept',
        },
      ],
    });
    expectTypeOf(definition).toEqualTypeOf<WorkflowDefinition<{ topic: string; rounds: number }, { topic: string; rounds?: number }, Record<never, never>>>();
    expect(definition.resolvePolicies({ topic: 't', rounds: 4 }, new Date(0))).toEqual({
      loops: { judge: { maxIterations: 4, onCap: 'accept' } },
      approvals: {},
    });
    expect(definition.structure.steps).toEqual([
      { name: 'write', kind: 'produce' },
      { name: 'judge', kind: 'validate', validates: 'write' },
    ]);
  });

  it('rejects a validating step with nothing to judge, duplicate names and reserved names', () => {
    const produce = { kind: 'produce' as const, name: 'a', run: async () => null };
    const judge = {
      kind: 'validate' as const,
      name: 'v',
      run: async () => ({ verdict: 'approve' as const, feedback: '' }),
      maxIterations: 1,
      onCap: 'fail' as const,
    };
    const attempt = (steps: never[]) => () => defineWorkflow({ name: 'bad', version: 1, input: z.object({}), steps });
    expect(attempt([judge] as never[])).toThrowError(/validating step "v" must follow the producing step/);
    expect(attempt([produce, produce] as never[])).toThrowError(/appears twice/);
    expect(attempt([{ ...produce, name: 'completed' }] as never[])).toThrowError(/reserved/);
    try {
      attempt([] as never[])();
    } catch (error) {
      expect(isDefinitionError(error)).toBe(true);
    }
  });

  it('the registry keeps every version and serves the latest by default', () => {
    const v2 = defineWorkflow({ name: 'serial3', version: 2, input: z.object({}), steps: [{ kind: 'produce', name: 'only', run: async () => null }] });
    const registry = createRegistry([serial3, v2, brief]);
    expect(registry.get('serial3')).toBe(v2);
    expect(registry.get('serial3', 1)).toBe(serial3);
    expect(registry.versions('serial3')).toEqual([1, 2]);
    expect(registry.names()).toEqual(['brief', 'serial3']);
    expect(registry.get('nope')).toBeUndefined();
  });
});
