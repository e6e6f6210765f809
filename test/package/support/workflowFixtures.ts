/**
 * Workflow modules a user might write, ECL ships none of them: `compose` (a plain function) →
 * `check` (asks for exactly one revision, then approves) → `finish`. One in JavaScript, one in
 * TypeScript, each with a test on `ecl-workflows/testing` run by node's own test runner.
 */

const JS_MODULE = `import { defineWorkflow } from 'ecl-workflows';
import { z } from 'zod';

export const greeting = defineWorkflow({
  name: 'js_greeting',
  version: 1,
  input: z.object({ name: z.string().default('world') }),
  steps: [
    { kind: 'produce', name: 'compose', run: async (ctx) => (ctx.feedback === undefined ? \`Hello \${ctx.input.name}\` : \`Hello, \${ctx.input.name}!\`) },
    {
      kind: 'validate',
      name: 'check',
      run: async (ctx) => (ctx.iteration === 1 ? { verdict: 'revise', feedback: 'Punctuate it.' } : { verdict: 'approve', feedback: 'Good.' }),
      maxIterations: 3,
      onCap: 'fail',
    },
    { kind: 'produce', name: 'finish', run: async (ctx) => ({ greeting: ctx.outputs.compose ?? null }) },
  ],
});
`;

const TS_MODULE = `import { defineWorkflow, type Judgement, type JsonValue, type StepContext } from 'ecl-workflows';
import { z } from 'zod';

const Input = z.object({ name: z.string().default('world') });
type Input = z.output<typeof Input>;

async function compose(ctx: StepContext<Input>): Promise<JsonValue> {
  return ctx.feedback === undefined ? \`Hello \${ctx.input.name}\` : \`Hello, \${ctx.input.name}!\`;
}

async function check(ctx: StepContext<Input>): Promise<Judgement> {
  return ctx.iteration === 1 ? { verdict: 'revise', feedback: 'Punctuate it.' } : { verdict: 'approve', feedback: 'Good.' };
}

export const greetings = [
  defineWorkflow({
    name: 'ts_greeting',
    version: 1,
    input: Input,
    steps: [
      { kind: 'produce', name: 'compose', run: compose },
      { kind: 'validate', name: 'check', run: check, maxIterations: 3, onCap: 'fail' },
      { kind: 'produce', name: 'finish', run: async (ctx: StepContext<Input>) => ({ greeting: ctx.outputs.compose ?? null }) },
    ],
  }),
];
`;

/** A node:test file for the module: the test engine runs it to the end, the spec checks one decision. */
const testOf = (name: string, importLine: string, definition: string) => `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestEngine, ev, workflowSpec } from 'ecl-workflows/testing';
${importLine}

test('${name} completes after exactly one revision', async () => {
  const ecl = createTestEngine({ definitions: [${definition}] });
  try {
    const view = await ecl.run('${name}', { name: 'Ada' });
    assert.equal(view.status, 'completed');
    assert.deepEqual(view.output, { greeting: 'Hello, Ada!' });
    const types = (await ecl.history(view.workflowId)).map((event) => event.type);
    assert.equal(types.filter((type) => type === 'RevisionRequested').length, 1);
  } finally {
    await ecl.close();
  }
});

test('${name}: a revise verdict sends compose back with the feedback', () => {
  const spec = workflowSpec(${definition});
  const revise = { verdict: 'revise', feedback: 'Punctuate it.' };
  spec
    .given(spec.started({ name: 'Ada' }), ev.stepStarted('compose'), ev.stepCompleted('compose', 1, 'Hello Ada'), ev.stepStarted('check'))
    .whenRecorded(ev.stepCompleted('check', 1, revise))
    .then([ev.stepCompleted('check', 1, revise), ev.revision('compose', 'check', 1, revise.feedback), ev.stepStarted('compose', 2)]);
});

test('${name}: a spec that expects the wrong events fails with an AssertionError', () => {
  const spec = workflowSpec(${definition});
  assert.throws(() => spec.given(spec.started({})).whenResumed().then([ev.stepStarted('finish')]), { name: 'AssertionError' });
});
`;

export const JS_WORKFLOW = {
  definition: 'js_greeting',
  module: 'workflows/greeting.mjs',
  source: JS_MODULE,
  test: { path: 'test/js_greeting.test.mjs', source: testOf('js_greeting', "import { greeting } from '../workflows/greeting.mjs';", 'greeting') },
};

export const TS_WORKFLOW = {
  definition: 'ts_greeting',
  module: 'workflows/greeting.ts',
  source: TS_MODULE,
  test: { path: 'test/ts_greeting.test.ts', source: testOf('ts_greeting', "import { greetings } from '../workflows/greeting.js';", 'greetings[0]!') },
};
