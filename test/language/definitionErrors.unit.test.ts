import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { z as z3 } from 'zod/v3';
import { defineWorkflow, isDefinitionError, type StepSpec } from 'ecl-workflows';

/**
 * Issue 13: a bad sleep, signal or route step fails when the definition is made (a DefinitionError
 * naming the workflow and the step), not when a workflow reaches it. Steps are built loosely typed
 * (as a JavaScript workflow module may write them) to reach the checks the types do not.
 */
const make =
  (steps: unknown[], extra: Record<string, unknown> = {}) =>
  () =>
    defineWorkflow({ name: 'bad', version: 1, input: z.unknown(), steps: steps as StepSpec<unknown>[], ...extra } as Parameters<typeof defineWorkflow>[0]);
const produce = { kind: 'produce', name: 'a', run: async () => 1 };

/** Runs `define`, expecting a DefinitionError whose message matches `message`. */
function refused(define: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    define();
  } catch (error) {
    thrown = error;
  }
  expect(isDefinitionError(thrown), `expected a DefinitionError, got ${String(thrown)}`).toBe(true);
  expect((thrown as Error).message).toMatch(/^Workflow "bad": /);
  expect((thrown as Error).message).toMatch(message);
}

describe('bad sleep, signal and route steps fail when the definition is made, naming the step', () => {
  it('a sleep with both for and until', () => {
    refused(
      make([produce, { kind: 'sleep', name: 'nap', for: 1_000, until: () => '2031-01-01T00:00:00.000Z' }]),
      /sleep step "nap" needs exactly one of for and until/,
    );
  });

  it("a signal step's schema given twice, or one in outputs that refuses the null a timeout goes on with", () => {
    const Data = z.object({ ok: z.boolean() });
    refused(
      make([produce, { kind: 'signal', name: 'wait', signal: 'done', schema: Data }], { outputs: { wait: Data } }),
      /outputs\.wait and signal step "wait"'s schema both check its data: declare it once/,
    );
    refused(
      make([produce, { kind: 'signal', name: 'wait', signal: 'done', timeoutMs: 1, onTimeout: 'continue' }], { outputs: { wait: Data } }),
      /outputs\.wait must accept null \(e\.g\. \.nullable\(\)\): signal step "wait" goes on with a null output when it times out/,
    );
    expect(
      make([produce, { kind: 'signal', name: 'wait', signal: 'done', timeoutMs: 1, onTimeout: 'continue' }], { outputs: { wait: Data.nullable() } }),
    ).not.toThrow();
    expect(make([produce, { kind: 'signal', name: 'wait', signal: 'done', timeoutMs: 1 }], { outputs: { wait: Data } })).not.toThrow();
  });

  it('a zod 3 schema (zod 4 is the peer dependency), or something that is no schema, for the input, an output or a signal', () => {
    const zod3 = /is a zod 3 schema: ECL takes zod 4 schemas \(`npm install zod@\^4`/;
    refused(make([produce], { input: z3.object({ text: z3.string() }) }), new RegExp(`^Workflow "bad": input ${zod3.source}`));
    refused(make([produce], { outputs: { a: z3.number() } }), new RegExp(`outputs\\.a ${zod3.source}`));
    refused(make([produce, { kind: 'signal', name: 'wait', signal: 'done', schema: z3.object({}) }]), new RegExp(`signal step "wait": schema ${zod3.source}`));
    refused(make([produce], { input: { parse: () => 1 } }), /input is not a zod schema$/);
  });

  it('a signal without a name, with an empty one, or one that looks like a command', () => {
    for (const signal of [undefined, '', 'PAY', 'Pay', '1pay', 'pay-now'])
      refused(
        make([produce, { kind: 'signal', name: 'wait', ...(signal === undefined ? {} : { signal }) }]),
        /signal step "wait": the signal's name must start/,
      );
  });

  it('a sleep, signal or route under a reserved or taken name, or a name that is not one', () => {
    refused(make([produce, { kind: 'sleep', name: 'completed', for: 1 }]), /step "completed": the name is reserved/);
    refused(make([produce, { kind: 'signal', name: 'idle', signal: 'go' }]), /step "idle": the name is reserved/);
    refused(make([produce, { kind: 'route', name: 'a', to: ['completed'], choose: () => 'completed' }]), /step "a" appears twice/);
    refused(make([produce, { kind: 'sleep', name: 'take a nap', for: 1 }]), /step "take a nap": names start with a letter/);
  });

  it('a loop whose maxLoops is missing, 0 or not an integer, or whose onCap is missing', () => {
    const loop = (extra: Record<string, unknown>) => make([produce, { kind: 'route', name: 'again', to: ['a'], choose: () => 'a', ...extra }]);
    for (const extra of [
      { onCap: 'fail' },
      { maxLoops: 0, onCap: 'fail' },
      { maxLoops: 1.5, onCap: 'continue' },
      { maxLoops: -1, onCap: 'fail' },
      { maxLoops: 2 },
    ])
      refused(loop(extra), /route "again" may go back to "a": a loop needs maxLoops \(an integer >= 1\) and onCap/);
  });

  it('a route to a step that does not exist, to a later validating step, or to itself', () => {
    const judge = { kind: 'validate', name: 'judge', maxIterations: 2, onCap: 'fail', run: async () => ({ verdict: 'approve', feedback: '' }) };
    refused(make([produce, { kind: 'route', name: 'r', to: ['later'], choose: () => 'later' }, { ...produce, name: 'b' }]), /route "r" may choose "later"/);
    refused(make([produce, { kind: 'route', name: 'r', to: ['judge'], choose: () => 'judge' }, judge]), /route "r" cannot choose validating step "judge"/);
    refused(make([produce, { kind: 'route', name: 'r', to: ['r', 'completed'], choose: () => 'completed' }]), /route "r" cannot choose itself/);
  });

  it('a route loop inside which a signal and a sleep wait is fine (every cycle is capped)', () => {
    expect(
      make([
        produce,
        { kind: 'sleep', name: 'nap', for: 1 },
        { kind: 'signal', name: 'ok', signal: 'go' },
        { kind: 'route', name: 'again', to: ['a', 'completed'], choose: () => 'completed', maxLoops: 3, onCap: 'fail' },
      ]),
    ).not.toThrow();
  });

  // A typo in `kind` (a JavaScript module, or a cast) must not be taken for another kind.
  it('a step of an unknown kind is refused, naming the step', () => {
    refused(make([produce, { kind: 'sleeep', name: 'nap', for: 1_000 }]), /"nap"/);
  });

  it("a loop whose onCap is neither 'fail' nor 'continue' is refused, naming the route", () => {
    refused(make([produce, { kind: 'route', name: 'again', to: ['a'], choose: () => 'a', maxLoops: 2, onCap: 'retry' }]), /route "again"/);
  });

  // Without afterMs or at, a deadline would be "now": every workflow would fail at once.
  it('a deadline with neither afterMs nor at is refused', () => {
    refused(make([produce], { deadline: { onPass: 'cancel' } }), /deadline/);
  });

  it('a constant duration that is negative or not a number is refused when the definition is made', () => {
    refused(make([produce, { kind: 'sleep', name: 'nap', for: -5 }]), /sleep step "nap": for must be a number of ms >= 0/);
    refused(make([produce, { kind: 'signal', name: 'wait', signal: 'go', timeoutMs: Number.NaN }]), /signal step "wait": timeoutMs/);
    refused(make([produce], { deadline: { afterMs: -1 } }), /deadline: afterMs/);
  });

  it('a signal named like a command is refused: `ecl send <id> approve` means APPROVE', () => {
    refused(make([produce, { kind: 'signal', name: 'wait', signal: 'approve' }]), /signal step "wait": "approve" is the name of a command/);
  });
});
