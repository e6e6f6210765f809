import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LlmProvider, LlmRequest, LlmResult } from '../../src/llm/index.js';
import { createFolder, foldWithTransition, TERMINAL_EVENT_TYPES } from '../../src/machines/index.js';
import { brief } from '../support/definitions.js';
import { briefInput, createHarness } from './support/harness.js';

/** A model whose reviewer answers from a generated list of verdicts (then approves); other steps echo. */
function scriptedVerdicts(verdicts: readonly ('approve' | 'revise')[]): LlmProvider {
  let reviews = 0;
  return {
    name: 'property',
    async complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>> {
      const base = { model: 'prop-1', usage: { inputTokens: 3, outputTokens: 2 }, costUsd: 0.001, latencyMs: 0, attempts: 1, promptHash: 'p' };
      if (request.tool !== undefined) {
        const verdict = verdicts[reviews++] ?? 'approve';
        return { ...base, text: '', output: { verdict, feedback: `feedback ${reviews}` } as T };
      }
      return { ...base, text: `${request.context.step} ${request.context.iteration}` };
    },
  };
}

const command = fc.oneof(
  fc.constant({ type: 'APPROVE' }),
  fc.record({ type: fc.constant('REJECT'), reason: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ type: fc.constant('REQUEST_REVISION'), feedback: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ type: fc.constant('CANCEL'), reason: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.constant({ type: 'NOT_A_COMMAND' }),
);

describe('determinism: state = fold(stored stream)', () => {
  it('random commands and model verdicts through a live workflow: folding its stream gives exactly the live snapshot', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxIterations: fc.integer({ min: 1, max: 4 }),
          onCap: fc.constantFrom('fail', 'accept', 'escalate'),
          approval: fc.boolean(),
          verdicts: fc.array(fc.constantFrom('approve', 'revise'), { maxLength: 8 }),
          commands: fc.array(fc.record({ command, settleFirst: fc.boolean() }), { maxLength: 6 }),
        }),
        async ({ verdicts, commands, ...policy }) => {
          const h = createHarness({ llm: scriptedVerdicts(verdicts) });
          await h.engine.start('brief', briefInput(policy), { id: 'p1' });
          for (const { command: next, settleFirst } of commands) {
            if (settleFirst) await h.engine.settled('p1');
            await h.engine.send('p1', next);
          }
          const live = await h.engine.settled('p1');
          const events = await h.events('p1');

          const folded = createFolder(brief.machine).fold(events);
          expect(folded.value).toEqual(live.value);
          expect(folded.context).toEqual(live.context);
          const reference = foldWithTransition(brief.machine, events);
          expect(reference.value).toEqual(live.value);
          expect(reference.context).toEqual(live.context);

          // Nothing after a terminal event; each (step, iteration, attempt) has at most one outcome.
          const terminal = events.findIndex((event) => (TERMINAL_EVENT_TYPES as readonly string[]).includes(event.type));
          expect(terminal === -1 || terminal === events.length - 1).toBe(true);
          const outcomes = events.flatMap((event) => (event.type === 'StepCompleted' || event.type === 'StepFailed' ? [`${event.data.step}/${event.data.iteration}/${event.data.attempt}`] : []));
          expect(new Set(outcomes).size).toBe(outcomes.length);

          // Passivated and rehydrated, it is the same again.
          await h.engine.passivate();
          const rehydrated = await h.engine.get('p1');
          expect(rehydrated?.value).toEqual(live.value);
          expect(rehydrated?.context).toEqual(live.context);
          await h.engine.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
