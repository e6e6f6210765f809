import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { defineWorkflow } from '../../../src/machines/index.js';

/**
 * Definitions of the fan-out and child-workflow SIGKILL tests, shared by the test and its child
 * process. Every time an item or the leaf's step really runs it appends `<label>#<attempt>` to the
 * file named by `ECL_TEST_LOG`; those named in `ECL_TEST_HANG` (`b#1,d#1`) never finish (the process
 * is killed during them).
 */
const log = (line: string): void => {
  const file = process.env.ECL_TEST_LOG;
  if (file !== undefined) appendFileSync(file, `${line}\n`);
};
const hangs = (key: string): boolean => (process.env.ECL_TEST_HANG ?? '').split(',').includes(key);
const forever = () => new Promise<never>(() => undefined);

export const crashFan = defineWorkflow({
  name: 'crashFan',
  version: 1,
  input: z.object({ docs: z.array(z.string()) }),
  steps: [
    {
      kind: 'produce',
      name: 'fan',
      run: async (ctx) =>
        ctx.map('docs', ctx.input.docs, async (doc) => {
          log(`${doc}#${ctx.attempt}`);
          if (hangs(`${doc}#${ctx.attempt}`)) await forever();
          return `${doc} done`;
        }),
    },
  ],
});

/** Each item makes three journaled calls of its own (`call.run`), each logged as `<doc>.<call>#<attempt>` when it really runs. */
export const crashItemCalls = defineWorkflow({
  name: 'crashItemCalls',
  version: 1,
  input: z.object({ docs: z.array(z.string()) }),
  steps: [
    {
      kind: 'produce',
      name: 'fan',
      run: async (ctx) =>
        ctx.map(
          'docs',
          ctx.input.docs,
          async (doc, _index, call) => {
            const made: string[] = [];
            for (const name of ['fetch', 'parse', 'store']) {
              made.push(
                await call.run(name, async () => {
                  log(`${doc}.${name}#${ctx.attempt}`);
                  if (hangs(`${doc}.${name}#${ctx.attempt}`)) await forever();
                  return `${name} ${doc}`;
                }),
              );
            }
            return made.join(', ');
          },
          { concurrency: 3 },
        ),
    },
  ],
});

export const crashLeaf = defineWorkflow({
  name: 'crashLeaf',
  version: 1,
  input: z.object({ doc: z.string() }),
  steps: [
    {
      kind: 'produce',
      name: 'work',
      run: async (ctx) => {
        log(`leaf#${ctx.attempt}`);
        if (hangs(`leaf#${ctx.attempt}`)) await forever();
        return `leaf read ${ctx.input.doc}`;
      },
    },
  ],
});

export const crashParent = defineWorkflow({
  name: 'crashParent',
  version: 1,
  input: z.object({ doc: z.string() }),
  steps: [{ kind: 'produce', name: 'delegate', run: async (ctx) => ctx.child('leaf', 'crashLeaf', { doc: ctx.input.doc }) }],
});

export const crashDefinitions = [crashFan, crashItemCalls, crashLeaf, crashParent];
