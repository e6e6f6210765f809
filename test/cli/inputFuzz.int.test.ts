import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/actors/index.js';
import { ANONYMOUS, type Principal } from '../../src/api/auth.js';
import { isApiError } from '../../src/api/index.js';
import { scopeOf } from '../../src/api/tenancy.js';
import { readJsonArgument } from '../../src/cli/readJsonArgument.js';
import { isUsageError } from '../../src/cli/usageError.js';
import { CONFIG_KEYS, envVariableOf, isConfigError, loadConfig } from '../../src/config/index.js';
import { DEFAULT_MAX_JSON_DEPTH, isWorkflowId } from '../../src/edge/index.js';
import { createTestEngine } from '../../src/testing/index.js';
import { serial3 } from '../support/definitions.js';

// The fuzz suite over the CLI's inputs, in-process (many cases cheaply): `--input`/`--data` text,
// workflow ids, ECL_* values. Short form in `npm test`; ECL_CHAOS=long (npm run chaos) runs more.
const RUNS = process.env.ECL_CHAOS === 'long' ? 3_000 : 300;

/** JSON text a person or a script might pass: valid values (any unicode), deep nesting, repeated keys, near-JSON. */
const inputText = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }).map((value) => JSON.stringify(value)),
  fc
    .record({ depth: fc.integer({ min: 1, max: 4_000 }), open: fc.constantFrom('[', '{"k":') })
    .map(({ depth, open }) => open.repeat(depth) + '0' + (open === '[' ? ']' : '}').repeat(depth)),
  fc
    .tuple(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }))
    .map(([key, value]) => `{${JSON.stringify(key)}:1,"x":${JSON.stringify(value)},${JSON.stringify(key)}:2}`),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ' ', '{', '{"a":1,}', '[1,2', 'NaN', '1e999', '"\\ud800"', '{"__proto__":{"x":1}}', '{"a":"\\u0000"}'),
);

const depthOf = (value: unknown): number => (typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0);

describe('fuzzing the CLI inputs', () => {
  it('--input and --data text: a JSON value within the limits, or a UsageError (exit 2) — never anything else', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(inputText, (text) => {
        let value: unknown;
        try {
          value = readJsonArgument(text, '--input', DEFAULT_MAX_JSON_DEPTH);
        } catch (error) {
          expect(isUsageError(error), `${String(error)} for ${text.slice(0, 80)}`).toBe(true);
          refused += 1;
          return;
        }
        accepted += 1;
        expect(value).toEqual(JSON.parse(text));
        expect(depthOf(value)).toBeLessThanOrEqual(DEFAULT_MAX_JSON_DEPTH);
      }),
      { numRuns: RUNS },
    );
    console.log(`CLI input fuzz: ${JSON.stringify({ cases: RUNS, accepted, refused })}`);
  });

  it('one workflow-id rule: ecl run --id, the API and the engine accept exactly the same ids', async () => {
    const test = createTestEngine({ definitions: [serial3] });
    const api = scopeOf(ANONYMOUS);
    const tenant: Principal = { keyId: 'k', tenant: 'acme' };
    const id = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      fc.constantFrom('bad/id', '../up', 'acme:planted', 'a'.repeat(128), 'a'.repeat(129), ' x', 'x ', '.x', '_x', 'x\u0000', 'ä'),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(id, async (raw) => {
        const candidate = `${raw}`;
        const cli = isWorkflowId(candidate);
        let viaApi = true;
        try {
          api.internal(candidate);
        } catch (error) {
          expect(isApiError(error) && error.code === 'INVALID_ID').toBe(true);
          viaApi = false;
        }
        let viaEngine = true;
        try {
          // A fresh suffix keeps valid ids distinct, so each start is a new workflow.
          await test.engine.start('serial3', {}, { id: cli ? `${candidate.slice(0, 100)}-${++n}` : candidate });
        } catch (error) {
          expect(isEngineError(error) && error.code === 'INVALID_WORKFLOW_ID', String(error)).toBe(true);
          viaEngine = false;
        }
        expect([viaApi, viaEngine], candidate).toEqual([cli, cli]);
        // Through the API's tenant scoping the same ids, prefixed, are what a tenant's start records.
        if (cli) expect(scopeOf(tenant).internal(candidate)).toBe(`acme:${candidate}`);
      }),
      { numRuns: RUNS },
    );
    await test.close();
  });

  it('ECL_* values: a configuration, or a ConfigError naming the variable — never anything else', () => {
    const variable = fc.constantFrom(...CONFIG_KEYS.map(envVariableOf));
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.integer().map(String),
      fc.constantFrom('', ' ', '0', '-1', '1e3', '0x10', 'memory:', 'kurrentdb://', 'not a host!', '999.1.1.1', 'x=acme', '[]', '{}'),
    );
    fc.assert(
      fc.property(variable, value, (name, text) => {
        try {
          loadConfig({ env: { [name]: text }, cwd: '/nonexistent-ecl-fuzz' });
        } catch (error) {
          expect(isConfigError(error), String(error)).toBe(true);
          // Every refusal names the variable: a value of its own, or one that breaks a rule across keys (both keys named).
          if (isConfigError(error))
            expect(
              error.problems.some((problem) => problem.source.kind === 'env' && problem.source.variable === name),
              error.message,
            ).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
