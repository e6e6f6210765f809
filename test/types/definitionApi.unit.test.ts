import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type AnyWorkflowDefinition,
  type Judgement,
  type JsonValue,
  type OutputSchemas,
  type RouteStepSpec,
  type SignalCommand,
  type StepContext,
  type StepOutputs,
  type StepRun,
  type WorkflowDefinition,
  type WorkflowView,
  DefinitionError,
  defineWorkflow,
} from 'ecl-workflows';
import { type TestEngine, type TypedView, createTestEngine } from 'ecl-workflows/testing';

/**
 * Pins the definition API's types (`npm test` runs `tsc --noEmit -p .` over test/, so every
 * `@ts-expect-error` below must still be an error). What a step's `run` may return is listed in
 * docs/reference.md (`StepRun`).
 */

/** A default and a transform, so the schema's input and output types differ. */
const Input = z.object({
  topic: z.string(),
  rounds: z.number().int().min(1).default(2),
  tags: z.string().transform((text) => text.split(',')),
});
type Parsed = { topic: string; rounds: number; tags: string[] };

/** Type checks only: the function is never called, so nothing here runs or registers. */
const compileOnly = (check: () => unknown): void => void check;

const seen: Parsed[] = [];
const typed = defineWorkflow({
  name: 'typed',
  version: 1,
  input: Input,
  steps: [
    {
      kind: 'produce',
      name: 'write',
      run: async (ctx) => {
        expectTypeOf(ctx.input).toEqualTypeOf<z.output<typeof Input>>();
        expectTypeOf(ctx.input).toEqualTypeOf<Parsed>();
        expectTypeOf(ctx.input).not.toEqualTypeOf<z.input<typeof Input>>();
        expectTypeOf(ctx).toEqualTypeOf<StepContext<Parsed>>();
        // No output schemas: every step's output is JSON, absent until the step completed.
        expectTypeOf(ctx.outputs).toEqualTypeOf<Readonly<Record<string, JsonValue | undefined>>>();
        seen.push(ctx.input);
        return { topic: ctx.input.topic, tags: ctx.input.tags };
      },
    },
    {
      kind: 'validate',
      name: 'judge',
      run: async (ctx) => (ctx.iteration < ctx.input.rounds ? { verdict: 'revise', feedback: 'again' } : { verdict: 'approve', feedback: '' }),
      maxIterations: (input) => input.rounds,
      onCap: 'fail',
    },
  ],
});

describe('the definition API', () => {
  it("defineWorkflow returns WorkflowDefinition of the input schema's output and input types", () => {
    expectTypeOf(typed).toEqualTypeOf<WorkflowDefinition<Parsed, z.input<typeof Input>, Record<never, never>>>();
    expectTypeOf(typed).toExtend<AnyWorkflowDefinition>();
    expectTypeOf(typed.resolvePolicies).parameter(0).toEqualTypeOf<Parsed>();
  });

  it('step functions are StepRun: an async function of the StepContext resolving to JSON (produce) or a Judgement (validate)', () => {
    expectTypeOf<StepRun<Parsed>>().toEqualTypeOf<(ctx: StepContext<Parsed>) => Promise<JsonValue>>();
    expectTypeOf<StepRun<Parsed, Judgement>>().returns.toEqualTypeOf<Promise<{ verdict: 'approve' | 'revise'; feedback: string }>>();
  });

  it('journaled calls: ctx.run returns what its function resolves to (JSON or nothing), ctx.complete takes an optional name', () => {
    compileOnly(async () => {
      const ctx = {} as StepContext<Parsed>;
      expectTypeOf(await ctx.run('fetch', async () => ({ status: 200, body: 'ok' }))).toEqualTypeOf<{ status: number; body: string }>();
      expectTypeOf(await ctx.run('count', (): number => 3)).toEqualTypeOf<number>();
      expectTypeOf(await ctx.run('write', async () => {})).toEqualTypeOf<void>();
      // @ts-expect-error -- a result JSON cannot hold does not compile (it would not come back the same after a crash)
      await ctx.run('when', async () => new Date());
      // @ts-expect-error -- every call needs its name
      await ctx.run(async () => 1);
      expectTypeOf((await ctx.complete({ name: 'summary', messages: [{ role: 'user', content: 'hi' }] })).text).toEqualTypeOf<string>();
    });
  });

  it('a validating step must return a Judgement, and a step kind must be one of the three', () => {
    compileOnly(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: Input,
        steps: [
          { kind: 'produce', name: 'write', run: async () => 'text' },
          {
            kind: 'validate',
            name: 'judge',
            // @ts-expect-error a verdict outside 'approve' | 'revise'
            run: async () => ({ verdict: 'maybe', feedback: '' }),
            maxIterations: 2,
            onCap: 'fail',
          },
          {
            kind: 'validate',
            name: 'judge2',
            // @ts-expect-error no feedback
            run: async () => ({ verdict: 'approve' as const }),
            maxIterations: 2,
            onCap: 'fail',
          },
          {
            kind: 'validate',
            name: 'judge3',
            // @ts-expect-error a string is not a Judgement
            run: async () => 'approve',
            maxIterations: 2,
            onCap: 'fail',
          },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: Input,
        steps: [
          // @ts-expect-error not a step kind
          { kind: 'producer', name: 'write', run: async () => 'text' },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: Input,
        steps: [
          { kind: 'produce', name: 'write', run: async () => 'text' },
          {
            kind: 'validate',
            name: 'judge',
            run: async () => ({ verdict: 'approve', feedback: '' }),
            maxIterations: 2,
            // @ts-expect-error not a cap policy
            onCap: 'retry',
          },
        ],
      }),
    );
  });

  it('a producing step must resolve to a JSON value', () => {
    type Shape = { title: string; tags?: string[] };
    interface Declared {
      title: string;
    }
    const produce = (run: StepRun<Parsed>) => defineWorkflow({ name: 'p', version: 1, input: Input, steps: [{ kind: 'produce', name: 'p', run }] });
    compileOnly(() => [
      // Accepted: JSON values, `type` aliases of JSON objects, optional properties.
      produce(async () => 'text'),
      produce(async () => [1, 'a', null, { nested: true }]),
      produce(async (): Promise<Shape> => ({ title: 't' })),
      // @ts-expect-error a function is not JSON
      produce(async () => () => 'later'),
      // @ts-expect-error nor is an object holding one
      produce(async () => ({ render: () => 'later' })),
      // @ts-expect-error run must return a Promise
      produce(() => 'sync'),
      // @ts-expect-error undefined (and void) are not JSON (at run time undefined is recorded as null)
      produce(async () => undefined),
      // @ts-expect-error a Date is not JSON
      produce(async () => new Date()),
      // @ts-expect-error a Map is not JSON
      produce(async () => new Map<string, string>()),
      // @ts-expect-error a property that may be undefined is not JSON
      produce(async () => ({ title: undefined as string | undefined })),
      // @ts-expect-error an interface has no index signature: declare output shapes with `type`
      produce(async (): Promise<Declared> => ({ title: 't' })),
    ]);
  });

  it('typed outputs: a step with an output schema is seen with its output type, and must return its input type', () => {
    const Draft = z.object({ title: z.string(), words: z.string().transform((text) => text.split(' ')) });
    type DraftIn = { title: string; words: string };
    type DraftOut = { title: string; words: string[] };
    const Outputs = { draft: Draft, score: z.number().int() };
    expectTypeOf<StepOutputs<typeof Outputs>['draft']>().toEqualTypeOf<DraftOut | undefined>();
    expectTypeOf<StepOutputs>().toEqualTypeOf<Readonly<Record<string, JsonValue | undefined>>>();
    // A step written apart names the schemas with `typeof`; an untyped one (StepContext<I>) fits any workflow.
    const score = async (ctx: StepContext<Parsed, typeof Outputs>): Promise<number> => ctx.outputs.draft?.words.length ?? 0;
    const untyped = async (ctx: StepContext<Parsed>): Promise<JsonValue> => ctx.outputs.draft ?? null;
    compileOnly(() =>
      defineWorkflow({
        name: 'typed_outputs',
        version: 1,
        input: Input,
        outputs: Outputs,
        steps: [
          {
            kind: 'produce',
            name: 'draft',
            run: async (ctx) => {
              expectTypeOf(ctx).toEqualTypeOf<StepContext<Parsed, typeof Outputs>>();
              return { title: ctx.input.topic, words: ctx.input.tags.join(' ') };
            },
          },
          { kind: 'produce', name: 'score', run: score },
          {
            kind: 'validate',
            name: 'judge',
            run: async (ctx) => {
              expectTypeOf(ctx.outputs.draft).toEqualTypeOf<DraftOut | undefined>();
              expectTypeOf(ctx.outputs.score).toEqualTypeOf<number | undefined>();
              // A step without a schema, and a name that is no step at all, are JSON or absent.
              expectTypeOf(ctx.outputs.notes).toEqualTypeOf<JsonValue | undefined>();
              return (ctx.outputs.draft?.words.length ?? 0) > 2 ? { verdict: 'approve', feedback: '' } : { verdict: 'revise', feedback: 'longer' };
            },
            maxIterations: 2,
            onCap: 'fail',
          },
          { kind: 'produce', name: 'notes', run: untyped },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: Input,
        outputs: { draft: Draft },
        steps: [
          // @ts-expect-error run must resolve to the schema's input type: words is a string before the transform
          { kind: 'produce', name: 'draft', run: async (): Promise<DraftOut> => ({ title: 't', words: ['a'] }) },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: Input,
        outputs: { draft: Draft },
        steps: [
          // @ts-expect-error a step function that resolves to any JSON does not fit a declared step
          { kind: 'produce', name: 'draft', run: untyped },
        ],
      }),
    );
    // One step alone, with its schema, compiles (its checks once described no whole step, and refused the literal).
    compileOnly(() =>
      defineWorkflow({
        name: 'single',
        version: 1,
        input: Input,
        outputs: { draft: Draft },
        steps: [{ kind: 'produce', name: 'draft', run: async (ctx): Promise<DraftIn> => ({ title: ctx.input.topic, words: 'a b' }) }],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'single',
        version: 1,
        input: Input,
        outputs: { draft: Draft },
        // @ts-expect-error a property the step's kind does not have, on a workflow of one step
        steps: [{ kind: 'produce', name: 'draft', run: async (): Promise<DraftIn> => ({ title: 't', words: 'a b' }), timeoutMS: 5 }],
      }),
    );
    // A declared step takes every option its kind has (the checks once listed only kind, name and run).
    compileOnly(() =>
      defineWorkflow({
        name: 'options',
        version: 1,
        input: Input,
        outputs: { draft: Draft },
        steps: [
          {
            kind: 'produce',
            name: 'draft',
            retry: { maxAttempts: 4, initialDelayMs: 1_000 },
            timeoutMs: 5_000,
            onTimeout: 'retry',
            run: async (): Promise<DraftIn> => ({ title: 't', words: 'a b' }),
          },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: Input,
        outputs: { draft: Draft },
        steps: [
          // @ts-expect-error an option's value is still checked on a declared step
          { kind: 'produce', name: 'draft', onTimeout: 'later', run: async (): Promise<DraftIn> => ({ title: 't', words: 'a b' }) },
        ],
      }),
    );
    // So does a route whose `to` is written out (its checks once listed only kind, name, to and choose).
    compileOnly(() =>
      defineWorkflow({
        name: 'routeOptions',
        version: 1,
        input: Input,
        outputs: { draft: Draft },
        steps: [
          { kind: 'route', name: 'gate', to: ['completed'], maxLoops: 2, onCap: 'continue', choose: () => 'completed' },
          { kind: 'produce', name: 'draft', timeoutMs: 5, run: async (): Promise<DraftIn> => ({ title: 't', words: 'a b' }) },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: Input,
        outputs: { draft: Draft },
        steps: [
          // @ts-expect-error a route's option is still checked
          { kind: 'route', name: 'gate', to: ['completed'], onCap: 'retry', choose: () => 'completed' },
          { kind: 'produce', name: 'draft', run: async (): Promise<DraftIn> => ({ title: 't', words: 'a b' }) },
        ],
      }),
    );
    // What a declared step returns keeps its literals: an enum's value inside an object compiles without `as const`
    // (a `run` that takes no parameter is typed before the schemas are inferred: its literals need `as const`).
    const Triage = z.object({ category: z.enum(['billing', 'bug']), urgent: z.boolean() });
    compileOnly(() =>
      defineWorkflow({
        name: 'literals',
        version: 1,
        input: Input,
        outputs: { triage: Triage, label: z.enum(['a', 'b']) },
        steps: [
          { kind: 'produce', name: 'triage', run: async (ctx) => ({ category: ctx.input.rounds > 1 ? 'bug' : 'billing', urgent: false }) },
          { kind: 'produce', name: 'label', run: async (ctx) => (ctx.input.topic === '' ? 'a' : 'b') },
          { kind: 'produce', name: 'free', run: async () => ({ anything: 'goes' }) },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'literal',
        version: 1,
        input: Input,
        outputs: { triage: Triage },
        steps: [{ kind: 'produce', name: 'triage', run: async () => ({ category: 'bug' as const, urgent: true }) }],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: Input,
        outputs: { triage: Triage },
        // @ts-expect-error a value the enum does not have
        steps: [{ kind: 'produce', name: 'triage', run: async (ctx) => ({ category: ctx.input.topic === '' ? 'sales' : 'bug', urgent: true }) }],
      }),
    );
    // A schema whose output is not JSON does not compile (the output is recorded); one that transforms to JSON does.
    expectTypeOf({ when: z.date() }).not.toExtend<OutputSchemas>();
    expectTypeOf({ when: z.date().transform((date) => date.toISOString()) }).toExtend<OutputSchemas>();
    compileOnly(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: Input,
        outputs: { draft: Draft },
        steps: [
          // @ts-expect-error the schema is declared in outputs, not on the step
          { kind: 'produce', name: 'other', run: async () => 'x', output: Draft },
          // @ts-expect-error a property the step's kind does not have (the steps are inferred as written, so this is checked apart)
          { kind: 'produce', name: 'late', run: async () => 'x', timeoutMS: 5 },
          { kind: 'produce', name: 'draft', run: async (): Promise<DraftIn> => ({ title: 't', words: 'a b' }) },
        ],
      }),
    );
  });

  it("decisions (a route's choose, a sleep's for and until, a signal's timeoutMs) see the outputs typed as steps do", () => {
    // A signal step's schema may be declared in outputs too: its data is its output.
    const Outputs = { plan: z.object({ days: z.number().int(), next: z.enum(['write', 'completed']) }), go: z.object({ by: z.string() }) };
    type Plan = { days: number; next: 'write' | 'completed' };
    compileOnly(() =>
      defineWorkflow({
        name: 'decided',
        version: 1,
        input: Input,
        outputs: Outputs,
        steps: [
          { kind: 'produce', name: 'plan', run: async () => ({ days: 2, next: 'write' as const }) },
          {
            kind: 'sleep',
            name: 'pause',
            for: ({ outputs }) => {
              expectTypeOf(outputs.plan).toEqualTypeOf<Plan | undefined>();
              expectTypeOf(outputs.other).toEqualTypeOf<JsonValue | undefined>();
              return (outputs.plan?.days ?? 0) * 86_400_000;
            },
          },
          { kind: 'sleep', name: 'until', until: ({ input, outputs }) => new Date(input.rounds + (outputs.plan?.days ?? 0)) },
          { kind: 'signal', name: 'go', signal: 'go', timeoutMs: ({ outputs }) => outputs.plan?.days ?? 1 },
          { kind: 'route', name: 'pick', to: ['write', 'completed'], choose: ({ outputs }) => outputs.plan?.next ?? 'completed' },
          {
            kind: 'produce',
            name: 'write',
            run: async (ctx) => {
              expectTypeOf(ctx.outputs.go).toEqualTypeOf<{ by: string } | undefined>();
              return ctx.outputs.go?.by ?? 'nobody';
            },
          },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: Input,
        outputs: Outputs,
        steps: [
          { kind: 'produce', name: 'plan', run: async () => ({ days: 2, next: 'write' as const }) },
          // @ts-expect-error plan has no field `weeks`
          { kind: 'route', name: 'pick', to: ['plan', 'completed'], choose: ({ outputs }) => (outputs.plan?.weeks ? 'plan' : 'completed') },
        ],
      }),
    );
    expect(Outputs.plan.parse({ days: 1, next: 'write' })).toEqual({ days: 1, next: 'write' });
  });

  it('a route goes to steps of its own workflow, and its choose returns one of its own to', () => {
    const Input = z.object({ n: z.number() });
    const routed = defineWorkflow({
      name: 'routed',
      version: 1,
      input: Input,
      outputs: { plan: z.object({ next: z.enum(['write', 'completed']) }) },
      steps: [
        { kind: 'produce', name: 'plan', run: async () => ({ next: 'write' as const }) },
        { kind: 'route', name: 'byPlan', to: ['write', 'completed'], choose: ({ outputs }) => outputs.plan?.next ?? 'completed' },
        { kind: 'route', name: 'byInput', to: ['write', 'completed'], choose: ({ input }) => (input.n > 1 ? 'write' : 'completed') },
        { kind: 'route', name: 'always', to: ['write'], choose: () => 'write' },
        { kind: 'produce', name: 'write', run: async () => 'x' },
      ],
    });
    expect(routed.structure.steps.filter((step) => step.kind === 'route')).toHaveLength(3);
    compileOnly(() =>
      defineWorkflow({
        name: 'typo',
        version: 1,
        input: Input,
        steps: [
          { kind: 'produce', name: 'plan', run: async () => 'p' },
          // @ts-expect-error 'wrte' is not one of the route's `to`
          { kind: 'route', name: 'pick', to: ['write', 'completed'], choose: ({ input }) => (input.n > 1 ? 'wrte' : 'completed') },
          { kind: 'produce', name: 'write', run: async () => 'x' },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'unknown',
        version: 1,
        input: Input,
        steps: [
          { kind: 'produce', name: 'plan', run: async () => 'p' },
          // @ts-expect-error `to` names a step the workflow does not have
          { kind: 'route', name: 'pick', to: ['wrte', 'completed'], choose: () => 'completed' },
          { kind: 'produce', name: 'write', run: async () => 'x' },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'validator',
        version: 1,
        input: Input,
        steps: [
          { kind: 'produce', name: 'plan', run: async () => 'p' },
          { kind: 'validate', name: 'check', maxIterations: 2, onCap: 'fail', run: async () => ({ verdict: 'approve', feedback: '' }) },
          // @ts-expect-error a validating step follows its producer: a route goes to the producer
          { kind: 'route', name: 'pick', to: ['check', 'completed'], choose: () => 'completed' },
          // @ts-expect-error a route does not choose itself
          { kind: 'route', name: 'again', to: ['again', 'completed'], choose: () => 'completed' },
        ],
      }),
    );
    compileOnly(() =>
      defineWorkflow({
        name: 'untyped',
        version: 1,
        input: Input,
        steps: [
          { kind: 'produce', name: 'plan', run: async () => 'p' },
          // @ts-expect-error a string computed at run time must be narrowed to one of `to` (an enum in `outputs`, or a check)
          { kind: 'route', name: 'pick', to: ['write', 'completed'], choose: ({ outputs }) => String(outputs.plan) },
          { kind: 'produce', name: 'write', run: async () => 'x' },
        ],
      }),
    );
  });

  it('a route built at run time (a factory, a string[] of targets) compiles and is checked when the definition is made', () => {
    const Input = z.object({ n: z.number() });
    const routeTo = (name: string, to: string[]): RouteStepSpec<z.output<typeof Input>> => ({
      kind: 'route',
      name,
      to,
      choose: () => to[0] ?? 'completed',
      maxLoops: 2,
      onCap: 'fail',
    });
    const targets: string[] = ['a', 'completed'];
    const built = defineWorkflow({
      name: 'built',
      version: 1,
      input: Input,
      steps: [
        { kind: 'produce', name: 'a', run: async () => 'x' },
        routeTo('r', ['a', 'completed']),
        { kind: 'route', name: 'r2', to: targets, choose: () => 'completed', maxLoops: 2, onCap: 'fail' },
      ],
    });
    expect(built.structure.steps.map((step) => step.name)).toEqual(['a', 'r', 'r2']);
    expect(() =>
      defineWorkflow({ name: 'wrong', version: 1, input: Input, steps: [{ kind: 'produce', name: 'a', run: async () => 'x' }, routeTo('r', ['nowhere'])] }),
    ).toThrow('route "r" may choose "nowhere", which is not a step of this workflow');
  });

  it("definition.signal types a signal's name and data by the definition's signal steps", () => {
    const approval = defineWorkflow({
      name: 'signalled',
      version: 1,
      input: Input,
      outputs: { paid: z.object({ amount: z.number(), note: z.string().default('') }).nullable() },
      steps: [
        { kind: 'signal', name: 'paid', signal: 'payment', timeoutMs: 1_000, onTimeout: 'continue' },
        { kind: 'signal', name: 'shipped', signal: 'shipment', schema: z.object({ carrier: z.enum(['dhl', 'ups']) }) },
        { kind: 'signal', name: 'poked', signal: 'poke' },
      ],
    });
    // The data is the schema's input type (a default makes a field optional); a nullable schema takes null.
    expectTypeOf(approval.signal('payment', { amount: 3 })).toEqualTypeOf<SignalCommand<'payment', { amount: number; note?: string | undefined } | null>>();
    expectTypeOf(approval.signal('payment', null).data).toEqualTypeOf<{ amount: number; note?: string | undefined } | null>();
    expectTypeOf(approval.signal('shipment', { carrier: 'dhl' }).type).toEqualTypeOf<'shipment'>();
    // A signal step without a schema takes any JSON.
    expectTypeOf(approval.signal('poke', [1, 'two']).data).toEqualTypeOf<JsonValue>();
    compileOnly(() => {
      // @ts-expect-error no signal step waits for `pay`
      approval.signal('pay', { amount: 3 });
      // @ts-expect-error amount is a number
      approval.signal('payment', { amount: '3' });
      // @ts-expect-error fedex is not a carrier
      approval.signal('shipment', { carrier: 'fedex' });
      // @ts-expect-error a definition without signal steps has no signal to build
      typed.signal('payment', {});
    });
    expect(approval.signal('shipment', { carrier: 'ups' })).toEqual({ type: 'shipment', data: { carrier: 'ups' } });
    // Unchecked callers (JavaScript, a name from outside) get the same refusal at run time.
    expect(() => approval.signal('pay' as 'payment', null)).toThrow(
      new TypeError('Workflow "signalled" has no signal step waiting for "pay"; its signals: payment, shipment, poke'),
    );
    expect(() => typed.signal('payment' as never, null as never)).toThrow(/has no signal step waiting for "payment"; it has no signal steps$/);
  });

  it("a declared output is the workflow's output, and types a parent's ctx.child", async () => {
    const Memo = z.object({ title: z.string(), risk: z.enum(['low', 'high']) });
    const review = defineWorkflow({
      name: 'review',
      version: 1,
      input: z.object({ text: z.string() }),
      outputs: { memo: Memo },
      output: 'memo',
      steps: [
        { kind: 'produce', name: 'memo', run: async (ctx) => ({ title: ctx.input.text, risk: 'low' }) },
        // Runs last, yet the workflow's output stays the memo.
        { kind: 'produce', name: 'notify', run: async () => 'notified' },
      ],
    });
    const routed = defineWorkflow({
      name: 'routed',
      version: 1,
      input: z.object({}),
      outputs: { memo: Memo },
      output: 'memo',
      steps: [
        { kind: 'route', name: 'skip', to: ['memo', 'completed'], choose: () => 'completed' },
        { kind: 'produce', name: 'memo', run: async () => ({ title: 't', risk: 'high' as const }) },
      ],
    });
    const untyped = defineWorkflow({
      name: 'untyped',
      version: 1,
      input: z.object({}),
      output: 'only',
      steps: [{ kind: 'produce', name: 'only', run: async () => 1 }],
    });
    compileOnly(() => {
      // @ts-expect-error `output` names a producing or signal step of the definition
      defineWorkflow({ name: 'bad', version: 1, input: z.object({}), output: 'nope', steps: [{ kind: 'produce', name: 'only', run: async () => 1 }] });
    });
    // A step declared with the child's output type returns `ctx.child(...)` as it is: the contextual
    // return type must not be inferred into the call (it then resolved to `Memo | JsonValue`).
    defineWorkflow({
      name: 'parent',
      version: 1,
      input: z.object({ text: z.string() }),
      outputs: { memo: Memo },
      steps: [{ kind: 'produce', name: 'memo', run: async (ctx) => ctx.child('r', review, { text: ctx.input.text }) }],
    });
    const ctx = {} as StepContext<{ text: string }>;
    compileOnly(async () => {
      expectTypeOf(await ctx.child('r', review, { text: 'x' })).toEqualTypeOf<{ title: string; risk: 'low' | 'high' }>();
      // A route may end the workflow before its output step: then its output is null.
      expectTypeOf(await ctx.child('r', routed, {})).toEqualTypeOf<{ title: string; risk: 'low' | 'high' } | null>();
      // No schema for the output step in `outputs`: JSON.
      expectTypeOf(await ctx.child('r', untyped, {})).toEqualTypeOf<JsonValue>();
      await ctx.map('m', ['a'], async (text, _index, call) => {
        expectTypeOf(await call.child(review, { text })).toEqualTypeOf<{ title: string; risk: 'low' | 'high' }>();
        return text;
      });
      // @ts-expect-error the child's output is typed: `risk` is not a number
      const risk: number = (await ctx.child('r', review, { text: 'x' })).risk;
      void risk;
    });

    const t = createTestEngine({ definitions: [review, routed] });
    const reviewed = await t.run(review, { text: 'Lease' });
    expectTypeOf(reviewed.output).toEqualTypeOf<{ title: string; risk: 'low' | 'high' } | null>();
    expect(reviewed).toMatchObject({ status: 'completed', output: { title: 'Lease', risk: 'low' } });
    expect(await t.run(routed, {})).toMatchObject({ status: 'completed', output: null });
    await t.close();
    expect(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: z.object({}),
        output: 'nope' as 'only',
        steps: [{ kind: 'produce', name: 'only', run: async () => 1 }],
      }),
    ).toThrow(new DefinitionError('Workflow "bad": output "nope" must name a producing or signal step'));
  });

  it("the test engine's send and settled, given the definition, type the output as run does; another definition's workflow is refused", async () => {
    const Reply = z.object({ text: z.string() });
    const ask = defineWorkflow({
      name: 'ask',
      version: 1,
      input: z.object({}),
      outputs: { answer: Reply },
      output: 'answer',
      steps: [{ kind: 'signal', name: 'answer', signal: 'reply' }],
    });
    const t = createTestEngine({ definitions: [ask, typed] });
    await t.run(ask, {}, { id: 'a1' });
    const answered = await t.send(ask, 'a1', ask.signal('reply', { text: 'yes' }));
    expectTypeOf(answered.output).toEqualTypeOf<{ text: string } | null>();
    expect(answered).toMatchObject({ status: 'completed', output: { text: 'yes' } });
    expectTypeOf((await t.settled(ask, 'a1')).output).toEqualTypeOf<{ text: string } | null>();
    // By id alone, JSON.
    expectTypeOf((await t.settled('a1')).output).toEqualTypeOf<JsonValue>();
    await expect(t.settled(typed, 'a1')).rejects.toThrow(new TypeError('Workflow a1 runs ask v1, not typed v1'));
    await t.run(ask, {}, { id: 'a2' });
    await expect(t.send(typed, 'a2', { type: 'CANCEL', reason: 'no' })).rejects.toThrow(/runs ask v1, not typed v1/);
    // Refused before anything is sent.
    expect((await t.settled('a2')).status).toBe('waiting');
    await t.close();
  });

  it('createTestEngine runs a definition to a WorkflowView, with the parsed input in ctx.input', async () => {
    const test = createTestEngine({ definitions: [typed] });
    expectTypeOf(test).toEqualTypeOf<TestEngine>();
    // By name, the output is JSON; given a definition that declares its output, its type (see above).
    compileOnly(async () => expectTypeOf(await test.run('typed', { topic: 'zod', tags: 'a,b' })).toEqualTypeOf<TypedView<'typed'>>());
    expectTypeOf<TypedView<'typed'>['output']>().toEqualTypeOf<JsonValue | null>();
    expectTypeOf<Omit<TypedView<'typed'>, 'output'>>().toEqualTypeOf<Omit<WorkflowView, 'output'>>();
    try {
      const view = await test.run('typed', { topic: 'zod', tags: 'a,b' });
      expect(view).toMatchObject({ status: 'completed', output: { topic: 'zod', tags: ['a', 'b'] } });
      expect(seen).toEqual([
        { topic: 'zod', rounds: 2, tags: ['a', 'b'] },
        { topic: 'zod', rounds: 2, tags: ['a', 'b'] },
      ]);
    } finally {
      await test.close();
    }
  });
});
