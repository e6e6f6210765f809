import { z } from 'zod';
import { RetryableError, TerminalError } from '../../../src/actors/index.js';
import { defineWorkflow } from '../../../src/machines/index.js';

/**
 * Definitions that wrote the golden histories of the language's constructs (sleep, signal, route,
 * recorded retries, deadline, fan-out, item calls, child workflow, approval note) in test/fixtures/engine. replay --verify re-decides every
 * recorded decision with these functions (a sleep's due time, a signal's timeout, a route's
 * choice), so do not change them: a change is a new version, registered beside this one.
 */

/** Draft, sleep `minutes`, then send. */
export const napper = defineWorkflow({
  name: 'napper',
  version: 1,
  input: z.object({ minutes: z.number().int().min(0) }),
  steps: [
    { kind: 'produce', name: 'draft', run: async () => 'draft' },
    { kind: 'sleep', name: 'nap', for: ({ input }) => input.minutes * 60_000 },
    { kind: 'produce', name: 'send', run: async (ctx) => `sent ${String(ctx.outputs.draft)}` },
  ],
});

/** Bill, wait for the `paid` signal (typed data) up to `patienceMs`, going on with `null` after it; then a receipt that reads it. */
export const payment = defineWorkflow({
  name: 'payment',
  version: 1,
  input: z.object({ customer: z.string(), patienceMs: z.number().int().min(1) }),
  steps: [
    { kind: 'produce', name: 'bill', run: async (ctx) => `invoice for ${ctx.input.customer}` },
    {
      kind: 'signal',
      name: 'settle',
      signal: 'paid',
      schema: z.object({ amount: z.number().positive(), currency: z.string().length(3) }),
      timeoutMs: ({ input }) => input.patienceMs,
      onTimeout: 'continue',
    },
    {
      kind: 'produce',
      name: 'receipt',
      run: async (ctx) => {
        const paid = ctx.outputs.settle as { amount: number; currency: string } | null;
        return paid === null ? 'unpaid' : `received ${paid.amount} ${paid.currency}`;
      },
    },
  ],
});

/** Plan, act, and loop back to act until `rounds` rounds (at most two loops, then on to summarize). */
export const looper = defineWorkflow({
  name: 'looper',
  version: 1,
  input: z.object({ rounds: z.number().int().min(1) }),
  steps: [
    { kind: 'produce', name: 'plan', run: async () => 'plan' },
    { kind: 'produce', name: 'act', run: async (ctx) => ({ round: ctx.iteration }) },
    {
      kind: 'route',
      name: 'check',
      to: ['act', 'summarize'],
      choose: ({ input, outputs }) => ((outputs.act as { round: number }).round < input.rounds ? 'act' : 'summarize'),
      maxLoops: 2,
      onCap: 'continue',
    },
    { kind: 'produce', name: 'summarize', run: async (ctx) => `summary after ${(ctx.outputs.act as { round: number }).round} rounds` },
  ],
});

/** One step whose first `failures` attempts throw a RetryableError; each retry is a recorded attempt at a recorded due time. */
export const fetcher = defineWorkflow({
  name: 'fetcher',
  version: 1,
  input: z.object({ failures: z.number().int().min(0) }),
  steps: [
    {
      kind: 'produce',
      name: 'fetch',
      retry: { maxAttempts: 4, initialDelayMs: 10_000, maxDelayMs: 60_000 },
      run: async (ctx) => {
        if (ctx.attempt <= ctx.input.failures) throw new RetryableError(`busy (attempt ${ctx.attempt})`);
        return `fetched on attempt ${ctx.attempt}`;
      },
    },
  ],
});

/** Must be finished `hours` after its start; waits for the `approved` signal in between. */
export const deadliner = defineWorkflow({
  name: 'deadliner',
  version: 1,
  input: z.object({ hours: z.number().positive() }),
  deadline: { afterMs: ({ hours }) => hours * 3_600_000 },
  steps: [
    { kind: 'produce', name: 'draft', run: async () => 'draft' },
    { kind: 'signal', name: 'approval', signal: 'approved' },
    { kind: 'produce', name: 'publish', run: async () => 'published' },
  ],
});

/**
 * Two journaled calls; the second fails retryably (after its in-call retries) on the step's first
 * attempt, so the step's second attempt replays the first call and makes the second again.
 */
export const rerunner = defineWorkflow({
  name: 'rerunner',
  version: 1,
  input: z.object({}),
  steps: [
    {
      kind: 'produce',
      name: 'sync',
      retry: { maxAttempts: 3, initialDelayMs: 5_000 },
      run: async (ctx) => {
        const order = await ctx.run('order', () => 'order 7');
        const charge = await ctx.run('charge', () => {
          if (ctx.attempt === 1) throw new RetryableError('payments unavailable');
          return `charged for ${order}`;
        });
        return { order, charge };
      },
    },
  ],
});

/** Grades each document two at a time, collecting the failure of a broken one; then looks a fact up in two fixed branches. */
export const grader = defineWorkflow({
  name: 'grader',
  version: 1,
  input: z.object({ documents: z.array(z.object({ id: z.string(), broken: z.boolean() })) }),
  steps: [
    {
      kind: 'produce',
      name: 'grade',
      run: (ctx) =>
        ctx.map(
          'grade',
          ctx.input.documents,
          async (document) => {
            if (document.broken) throw new TerminalError(`cannot read ${document.id}`);
            return { id: document.id, score: document.id.length };
          },
          { concurrency: 2, onItemError: 'collect' },
        ),
    },
    { kind: 'produce', name: 'lookup', run: (ctx) => ctx.parallel('lookup', { wiki: async () => 'from the wiki', archive: async () => 'from the archive' }) },
  ],
});

/**
 * Each item makes two journaled calls of its own (`call.run`); item `b`'s fetch fails retryably on
 * attempt 1, so the step retries: attempt 2 replays item `a` and `b`'s nothing else, and runs `b`'s fetch again.
 */
export const collector = defineWorkflow({
  name: 'collector',
  version: 1,
  input: z.object({ docs: z.array(z.string()) }),
  steps: [
    {
      kind: 'produce',
      name: 'gather',
      retry: { maxAttempts: 3, initialDelayMs: 5_000 },
      run: (ctx) =>
        ctx.map(
          'doc',
          ctx.input.docs,
          async (doc, _index, call) => {
            const fetched = await call.run('fetch', () => {
              if (doc === 'b' && ctx.attempt === 1) throw new RetryableError(`${doc} unavailable`);
              return `text of ${doc}`;
            });
            return call.run('summarize', () => `summary of ${fetched}`);
          },
          { concurrency: 1 },
        ),
    },
  ],
});

/** A child workflow: reads one document. */
export const reader = defineWorkflow({
  name: 'reader',
  version: 1,
  input: z.object({ document: z.string() }),
  steps: [{ kind: 'produce', name: 'read', run: async (ctx) => `notes on ${ctx.input.document}` }],
});

/** Starts a `reader` child and waits for its output, starts a second without waiting, then a person approves (with a note). */
export const librarian = defineWorkflow({
  name: 'librarian',
  version: 1,
  input: z.object({ document: z.string() }),
  steps: [
    { kind: 'produce', name: 'read', run: (ctx) => ctx.child('notes', reader, { document: ctx.input.document }) },
    { kind: 'produce', name: 'file', run: (ctx) => ctx.child('archive', reader, { document: 'the index' }, { wait: false }) },
    { kind: 'approval', name: 'publish' },
  ],
});

export const LANGUAGE_DEFINITIONS = [napper, payment, looper, fetcher, deadliner, rerunner, grader, collector, reader, librarian];
