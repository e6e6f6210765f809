import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { RetryableError } from '../../../src/actors/index.js';
import { defineWorkflow } from '../../../src/machines/index.js';

/**
 * Definitions of the timer SIGKILL test, shared by the test and its child process. Every time a
 * step really runs it appends `<step>#<iteration>#<attempt>` to the file named by `ECL_TEST_LOG`.
 */
const log = (ctx: { step: string; iteration: number; attempt: number }): void => {
  const file = process.env.ECL_TEST_LOG;
  if (file !== undefined) appendFileSync(file, `${ctx.step}#${ctx.iteration}#${ctx.attempt}\n`);
};

/** How long the sleep and the retry's backoff last, in ms (real time: the child runs on the system clock). */
export const TIMER_MS = 2_000;

/** Writes, sleeps TIMER_MS (a durable timer), then sends. */
export const crashNap = defineWorkflow({
  name: 'crashNap',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'write', run: async (ctx) => (log(ctx), 'written') },
    { kind: 'sleep', name: 'nap', for: TIMER_MS },
    { kind: 'produce', name: 'send', run: async (ctx) => (log(ctx), `sent ${String(ctx.outputs.write)}`) },
  ],
});

/** Its first attempt fails with a RetryableError; the retry is due TIMER_MS later (a recorded due time); then it sends. */
export const crashRetry = defineWorkflow({
  name: 'crashRetry',
  version: 1,
  input: z.object({}),
  steps: [
    {
      kind: 'produce',
      name: 'fetch',
      retry: { maxAttempts: 3, initialDelayMs: TIMER_MS, maxDelayMs: TIMER_MS },
      run: async (ctx) => {
        log(ctx);
        if (ctx.attempt === 1) throw new RetryableError('busy');
        return `fetched on attempt ${ctx.attempt}`;
      },
    },
    { kind: 'produce', name: 'send', run: async (ctx) => (log(ctx), `sent ${String(ctx.outputs.fetch)}`) },
  ],
});

export const timerCrashDefinitions = [crashNap, crashRetry];
