import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type EventStore, createMemoryEventStore } from '../../src/eventstore/index.js';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';
import { isDefinitionNotRegistered } from '../../src/projections/index.js';
import { formatReplay, replayWorkflow, runReplay } from '../../src/replay/index.js';
import { brief } from '../support/definitions.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { workflowStream, type EventToAppend } from '../../src/eventstore/index.js';
import { goldenRegistry } from '../machines/support/goldenHistories.js';
import { allGoldens, appendGolden, loadGolden } from './support/goldens.js';

/** A later `brief` with another shape: the registry keeps v1 for the streams v1 wrote. */
const briefV2 = defineWorkflow({
  name: 'brief',
  version: 2,
  input: z.object({ instructions: z.string() }),
  steps: [
    { kind: 'produce', name: 'draft', run: async () => 'x' },
    { kind: 'produce', name: 'polish', run: async () => 'y' },
  ],
});

const registry = createRegistry([brief, briefV2]);

describe('replay of golden histories', () => {
  for (const golden of allGoldens()) {
    it(`${golden.file}: folds to the recorded end state and verifies`, async () => {
      const store = createMemoryEventStore();
      await appendGolden(store, golden);
      const result = await replayWorkflow(golden.workflowId, { store, registry, verify: true });
      expect(result.divergence).toBeUndefined();
      expect(result.version).toBe(golden.version);
      expect(result.transitions).toHaveLength(golden.lastRevision + 1);
      expect(result.snapshot.value).toEqual(golden.finalState);
    });
  }

  it('uses the version that wrote the stream, not the latest', async () => {
    const golden = loadGolden('brief-v1-revise-once.json');
    expect(registry.get('brief')?.version).toBe(2);
    const store = createMemoryEventStore();
    await appendGolden(store, golden);
    const result = await replayWorkflow(golden.workflowId, { store, registry, verify: true });
    expect(result).toMatchObject({ definition: 'brief', version: 1 });
    expect(result.divergence).toBeUndefined();
    await expect(replayWorkflow(golden.workflowId, { store, registry: createRegistry([briefV2]) })).rejects.toSatisfy(isDefinitionNotRegistered);
  });

  it('upcasts v0 payloads on read and still reproduces the recorded states', async () => {
    const golden = loadGolden('brief-v1-legacy-payloads.json');
    expect(
      golden.events.filter((event) => event.type === 'StepCompleted').every((event) => !('v' in (event.data as object)) && 'result' in (event.data as object)),
    ).toBe(true);
    const store = createMemoryEventStore();
    await appendGolden(store, golden);
    const result = await replayWorkflow(golden.workflowId, { store, registry, verify: true });
    expect(result.divergence).toBeUndefined();
    const review = result.transitions.find(
      (transition) => transition.type === 'StepCompleted' && transition.payloadVersion === 0 && (transition.event.data as { step: string }).step === 'review',
    );
    expect(review?.event.data).toMatchObject({
      v: 1,
      attempt: 1,
      output: { verdict: 'revise' },
      llm: { model: 'claude-2', inputTokens: 1000, outputTokens: 20 },
    });
  });

  it('stops at --to and prints each transition with its iteration counters', async () => {
    const golden = loadGolden('brief-v1-revise-once.json');
    const store = createMemoryEventStore();
    await appendGolden(store, golden);
    const result = await replayWorkflow(golden.workflowId, { store, registry, to: 7 });
    expect(result.transitions.map((transition) => transition.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(result.snapshot.value).toEqual({ draft: 'pending' });
    const lines = formatReplay(result);
    expect(lines[0]).toBe('replay golden-revise-once · brief v1 · 15 events · to revision 7');
    expect(lines[1]).toBe('r0    idle → WorkflowStarted → extract.pending');
    expect(lines[7]).toBe('r6    review.running → StepCompleted review #1 verdict revise → review.done  [extract=1 draft=1 review=1]');
    expect(lines[8]).toBe('r7    review.done → RevisionRequested draft #1 → draft.pending  [extract=1 draft=2 review=1]');
  });
});

describe('streamed replay', () => {
  it('ecl replay prints as it folds, keeps no history, and prints exactly what a kept replay formats', async () => {
    for (const golden of allGoldens()) {
      for (const verify of [false, true]) {
        const store = createMemoryEventStore();
        await appendGolden(store, golden);
        const kept = await replayWorkflow(golden.workflowId, { store, registry, verify });
        const seen: number[] = [];
        const result = await replayWorkflow(golden.workflowId, { store, registry, verify, onTransition: (transition) => void seen.push(transition.revision) });
        expect(result.transitions).toEqual([]);
        expect(result.folded).toBe(kept.transitions.length);
        expect(seen).toEqual(kept.transitions.map((transition) => transition.revision));
        expect(result.snapshot.value).toEqual(kept.snapshot.value);
        const streamed: string[] = [];
        const errors: string[] = [];
        const outcome = await runReplay({
          workflowId: golden.workflowId,
          store,
          registry,
          verify,
          out: (line) => streamed.push(line),
          err: (line) => errors.push(line),
        });
        expect(outcome.exitCode).toBe(0);
        expect(streamed).toEqual(formatReplay(kept));
        expect(errors).toEqual(verify ? [`verified: the fold reproduces the recorded history and outcome (${kept.transitions.length} events)`] : []);
      }
    }
  });

  it('ecl replay --json --verify carries the verdict a script reads: verified true, or false beside the divergence', async () => {
    const golden = loadGolden('brief-v1-revise-once.json');
    const store = createMemoryEventStore();
    await appendGolden(store, golden);
    const json = async (from: EventStore, verify: boolean) => {
      const out: string[] = [];
      const outcome = await runReplay({
        workflowId: golden.workflowId,
        store: from,
        registry,
        verify,
        json: true,
        out: (line) => out.push(line),
        err: () => undefined,
      });
      return { exitCode: outcome.exitCode, body: JSON.parse(out.join('\n')) as { verified?: boolean; divergence?: unknown } };
    };
    expect(await json(store, true)).toMatchObject({ exitCode: 0, body: { verified: true } });
    expect((await json(store, false)).body.verified).toBeUndefined();
    // A history whose last recorded decision the definition no longer makes.
    const tampered = createMemoryEventStore();
    const events = golden.events.map((event) =>
      event.type === 'WorkflowCompleted' ? { ...event, data: { ...(event.data as object), output: 'not what was decided' } } : event,
    );
    await appendGolden(tampered, { ...golden, events });
    expect(await json(tampered, true)).toMatchObject({ exitCode: 1, body: { verified: false, divergence: expect.anything() } });
  });

  it('a plain replay (trusted decoding) and a verified one (validated, re-decided) print the same lines', async () => {
    for (const golden of allGoldens()) {
      const store = createMemoryEventStore();
      await appendGolden(store, golden);
      const plain = await replayWorkflow(golden.workflowId, { store, registry });
      const verified = await replayWorkflow(golden.workflowId, { store, registry, verify: true });
      expect(formatReplay(plain)).toEqual(formatReplay(verified));
      expect(plain.snapshot.context).toEqual(verified.snapshot.context);
    }
  });
});

describe("replay of the engine's golden histories (test/fixtures/engine)", () => {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'engine');
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    it(`${file}: verifies and ends where the engine recorded`, async () => {
      const golden = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        workflowId: string;
        events: (EventToAppend & { revision: number })[];
        expected: { value: unknown; iterations: Record<string, number> };
      };
      const store = createMemoryEventStore();
      await store.append(
        workflowStream(golden.workflowId),
        golden.events.map(({ revision: _revision, ...event }) => event),
      );
      const result = await replayWorkflow(golden.workflowId, { store, registry: goldenRegistry(), verify: true });
      expect(result.divergence).toBeUndefined();
      expect(result.snapshot.value).toEqual(golden.expected.value);
      expect(result.snapshot.context.iterations).toEqual(golden.expected.iterations);
    });
  }
});
