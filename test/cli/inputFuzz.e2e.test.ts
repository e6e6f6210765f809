import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openEventStore } from '../../src/eventstore/index.js';
import { CHAOS_MODULE } from '../chaos/support/campaignProcesses.js';
import { killChildren, runEcl, tempFolder } from './cliHarness.js';

// The fuzz suite over the CLI, through the bin: random `ecl run` and `ecl send` inputs, ids and
// command types. Counted: exit codes other than 0/1/2, unexpected errors ("ecl: …"), stack traces,
// and any change to the log from a refused (exit 2) command. Few cases here (each is a process);
// the in-process properties in inputFuzz.int.test.ts cover many more.
const RUNS = process.env.ECL_CHAOS === 'long' ? 500 : 25;

let folder: { dir: string; cleanup: () => void };
let store: string;
const env = () => ({ ECL_WORKFLOWS: CHAOS_MODULE, ECL_LLM: 'offline' });

beforeAll(async () => {
  folder = tempFolder();
  store = `sqlite:${join(folder.dir, 'ecl.db')}`;
  // A workflow waiting at its approval gate, for commands to land on.
  const waiting = await runEcl(['run', 'chaos', '--id', 'w1', '--input', '{"tag":"fuzz"}', '--store', store], { cwd: folder.dir, env: env() });
  expect(waiting.stdout).toMatch(/Waiting for a person/);
});
afterAll(() => {
  killChildren();
  folder.cleanup();
});

const head = async (): Promise<bigint | null> => {
  const opened = await openEventStore(store);
  try {
    return await opened.headPosition();
  } finally {
    await opened.close();
  }
};

const text = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.record({ tag: fc.string({ maxLength: 70 }), gate: fc.boolean() }).map((value) => JSON.stringify(value)),
  fc.integer({ min: 1, max: 3_000 }).map((depth) => `{"tag":"x","deep":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc.constantFrom('{"tag":"a","tag":"b"}', '{', '', 'null', '"\\ud800"', '{"feedback":"x","feedback":"y"}'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const id = fc.oneof(
  fc.constantFrom('w1', 'nope', 'bad/id', '../up', 'acme:planted', 'a'.repeat(129)),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
  fc.string({ maxLength: 12 }).filter((value) => !value.startsWith('-')),
);
const command = fc.oneof(
  fc.record({ kind: fc.constant('run' as const), definition: fc.constantFrom('chaos', 'chaos', 'nope'), input: text, id: fc.option(id, { nil: undefined }) }),
  fc.record({
    kind: fc.constant('send' as const),
    id,
    type: fc.constantFrom('APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL', 'approve', 'NOPE'),
    data: fc.option(text, { nil: undefined }),
  }),
);

it(
  `ecl run and ecl send with random inputs: exit 0, 1 or 2, no stack trace, nothing written when refused (${RUNS} processes)`,
  async () => {
    const figures = { processes: 0, exit0: 0, exit1: 0, exit2: 0, otherExits: 0, unexpectedErrors: 0, stackTraces: 0, logChanges: 0 };
    await fc.assert(
      fc.asyncProperty(command, async (cmd) => {
        const args =
          cmd.kind === 'run'
            ? ['run', cmd.definition, '--input', cmd.input, ...(cmd.id === undefined ? [] : ['--id', cmd.id])]
            : ['send', cmd.id, cmd.type, ...(cmd.data === undefined ? [] : ['--data', cmd.data])];
        const before = await head();
        const result = await runEcl([...args, '--store', store], { cwd: folder.dir, env: env() });
        figures.processes += 1;
        const shown = `${args.join(' ').slice(0, 200)} -> ${result.code}\n${result.stderr.slice(0, 400)}`;
        if (result.code === 0) figures.exit0 += 1;
        else if (result.code === 1) figures.exit1 += 1;
        else if (result.code === 2) figures.exit2 += 1;
        else figures.otherExits += 1;
        if (/^ecl: /m.test(result.stderr)) figures.unexpectedErrors += 1;
        if (/\n\s+at |RangeError/.test(result.stderr)) figures.stackTraces += 1;
        expect([0, 1, 2], shown).toContain(result.code);
        expect(result.stderr, shown).not.toMatch(/^ecl: /m);
        expect(result.stderr, shown).not.toMatch(/\n\s+at |RangeError/);
        if (result.code === 2) {
          const after = await head();
          if (after !== before) figures.logChanges += 1;
          expect(after, shown).toBe(before);
        }
      }),
      { numRuns: RUNS },
    );
    console.log(`CLI process fuzz: ${JSON.stringify(figures)}`);
  },
  RUNS * 10_000,
);
