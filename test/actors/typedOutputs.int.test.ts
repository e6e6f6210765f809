import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow, isDefinitionError } from '../../src/index.js';
import { createTestEngine, replayHistories } from '../../src/testing/index.js';

/** A draft as a step returns it (`words` one string) and as it is recorded and seen (`words` split). */
let transformed = 0;
const Draft = z.object({
  title: z.string().min(1),
  words: z.string().transform((text) => {
    transformed += 1;
    return text.split(' ');
  }),
  meta: z.object({ tags: z.array(z.string()) }).optional(),
});

const drafting = (draft: () => unknown, version = 1, schema: z.ZodType<z.output<typeof Draft>, z.input<typeof Draft>> = Draft) =>
  defineWorkflow({
    name: 'drafting',
    version,
    input: z.object({}).default({}),
    outputs: { draft: schema },
    steps: [
      { kind: 'produce', name: 'draft', run: async () => draft() as z.input<typeof Draft> },
      // Sees the recorded (parsed) draft, typed: no cast.
      { kind: 'produce', name: 'count', run: async (ctx) => ({ words: ctx.outputs.draft?.words.length ?? -1 }) },
    ],
  });

const zodIssue = (value: unknown) => Draft.safeParse(value).error?.issues[0]?.message;

describe('typed outputs (WorkflowSpec.outputs)', () => {
  it('records the parsed output, transforms applied, and later steps read it', async () => {
    transformed = 0;
    const test = createTestEngine({ definitions: [drafting(() => ({ title: 'Hi', words: 'one two three' }))] });
    try {
      const view = await test.run('drafting', {}, { id: 't1' });
      expect(view).toMatchObject({ status: 'completed', output: { words: 3 } });
      const completed = (await test.history('t1')).filter((event) => event.type === 'StepCompleted').map((event) => event.data);
      expect(completed).toMatchObject([
        { step: 'draft', output: { title: 'Hi', words: ['one', 'two', 'three'] } },
        { step: 'count', output: { words: 3 } },
      ]);
      expect(transformed).toBe(1);
    } finally {
      await test.close();
    }
  });

  it('a mismatch fails the step with INVALID_OUTPUT naming the step, the path and the zod issue', async () => {
    const wrong = { title: 'Hi', words: 42 };
    const test = createTestEngine({ definitions: [drafting(() => wrong)] });
    try {
      const view = await test.run('drafting', {}, { id: 't2' });
      expect(view).toMatchObject({ status: 'failed' });
      const events = await test.history('t2');
      const failed = events.find((event) => event.type === 'StepFailed');
      expect(zodIssue(wrong)).toBeDefined();
      expect(failed?.data).toMatchObject({
        step: 'draft',
        error: { code: 'INVALID_OUTPUT', message: `Step "draft" returned an output its schema refuses: words: ${zodIssue(wrong)}`, retryable: false },
      });
      // The refused output is not recorded and no later step ran.
      expect(events.filter((event) => event.type === 'StepCompleted')).toEqual([]);
    } finally {
      await test.close();
    }
  });

  it('names nested paths and every issue', async () => {
    const wrong = { title: '', words: 'a b', meta: { tags: ['x', 7] } };
    const test = createTestEngine({ definitions: [drafting(() => wrong)] });
    try {
      await test.run('drafting', {}, { id: 't3' });
      const failed = (await test.history('t3')).find((event) => event.type === 'StepFailed');
      const issues = Draft.safeParse(wrong).error?.issues ?? [];
      expect(issues).toHaveLength(2);
      expect(failed?.data).toMatchObject({
        error: {
          code: 'INVALID_OUTPUT',
          message: `Step "draft" returned an output its schema refuses: title: ${issues[0]?.message}; meta.tags[1]: ${issues[1]?.message}`,
        },
      });
    } finally {
      await test.close();
    }
  });

  it('a value the schema refuses as a whole names the output itself', async () => {
    const test = createTestEngine({ definitions: [drafting(() => 'just text')] });
    try {
      await test.run('drafting', {}, { id: 't4' });
      const failed = (await test.history('t4')).find((event) => event.type === 'StepFailed');
      expect(failed?.data).toMatchObject({
        error: { code: 'INVALID_OUTPUT', message: `Step "draft" returned an output its schema refuses: (output): ${zodIssue('just text')}` },
      });
    } finally {
      await test.close();
    }
  });

  it('replay reads the recorded output and never parses it again', async () => {
    transformed = 0;
    const test = createTestEngine({ definitions: [drafting(() => ({ title: 'Hi', words: 'one two' }))] });
    try {
      await test.run('drafting', {}, { id: 't5' });
      expect(transformed).toBe(1);
      // A schema that would refuse the recorded output (it is already parsed: words is an array now).
      let parsed = 0;
      const strict = z.any().transform((value) => {
        parsed += 1;
        return value;
      }) as unknown as typeof Draft;
      const replays = await replayHistories([drafting(() => null, 1, strict)], [{ workflowId: 't5', events: await test.history('t5') }]);
      expect(replays).toMatchObject([{ workflowId: 't5', definition: 'drafting', version: 1 }]);
      expect(replays[0]?.error).toBeUndefined();
      expect({ parsed, transformed }).toEqual({ parsed: 0, transformed: 1 });
    } finally {
      await test.close();
    }
  });

  it('an outputs entry must name a producing or signal step', () => {
    const define = (outputs: Record<string, z.ZodType<string>>) => () =>
      defineWorkflow({
        name: 'named',
        version: 1,
        input: z.object({}),
        outputs,
        steps: [
          { kind: 'produce', name: 'write', run: async () => 'text' },
          { kind: 'validate', name: 'judge', run: async () => ({ verdict: 'approve', feedback: '' }), maxIterations: 1, onCap: 'fail' },
        ],
      });
    expect(define({ write: z.string() })).not.toThrow();
    for (const name of ['judge', 'missing']) {
      let thrown: unknown;
      try {
        define({ [name]: z.string() })();
      } catch (error) {
        thrown = error;
      }
      expect(isDefinitionError(thrown)).toBe(true);
      expect((thrown as Error).message).toBe(`Workflow "named": outputs.${name} names no producing or signal step`);
    }
  });
});
