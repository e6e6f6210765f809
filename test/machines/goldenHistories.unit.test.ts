import { describe, expect, it } from 'vitest';
import { toWorkflowEvent } from '../../src/actors/index.js';
import type { RecordedEvent } from '../../src/eventstore/index.js';
import { createFolder, nextStep, viewOf } from '../../src/machines/index.js';
import { replayHistories } from '../../src/testing/index.js';
import { goldenRegistry, loadGoldens } from './support/goldenHistories.js';

const registry = goldenRegistry();
const goldens = loadGoldens();

/** A golden's event as a store hands it back, for the engine's own reading path (which upcasts old payloads). */
const recordOf =
  (workflowId: string) =>
  (event: (typeof goldens)[number]['golden']['events'][number]): RecordedEvent => ({
    id: event.id,
    stream: `ecl.workflow-${workflowId}`,
    type: event.type,
    revision: event.revision,
    position: BigInt(event.revision + 1),
    data: event.data as RecordedEvent['data'],
    metadata: event.metadata as RecordedEvent['metadata'],
    created: new Date(0),
  });

describe("golden histories (test/fixtures/engine) fold to their recorded states with today's code", () => {
  it('there are histories of both shipped definitions, of journaled calls, and of old payloads', () => {
    const definitions = new Set(goldens.map(({ golden }) => (golden.events[0]?.data as { definition: string }).definition));
    expect(definitions).toEqual(new Set(['brief', 'serial3', 'research']));
    expect(goldens.some(({ golden }) => golden.events.some((event) => event.type === 'CallCompleted'))).toBe(true);
    expect(goldens.some(({ golden }) => golden.events.some((event) => (event.data as { v?: number }).v === undefined))).toBe(true);
  });

  it.each(goldens)('$file', ({ golden }) => {
    const started = golden.events[0]?.data as { definition: string; version: number };
    const definition = registry.get(started.definition, started.version);
    expect(definition, `${started.definition} v${started.version} must stay registered`).toBeDefined();
    const folder = createFolder(definition!.machine);
    let snapshot = folder.initial();
    for (const record of golden.events.map(recordOf(golden.workflowId))) {
      // Read as the engine reads a stream: old payloads upcast by the registry replay and the projections share.
      snapshot = folder.apply(snapshot, toWorkflowEvent(record));
      // Each event recorded the state value it led to; today's machine must agree at every step.
      expect(JSON.stringify(snapshot.value), `${record.type} at revision ${record.revision}`).toBe(record.metadata.state);
    }
    expect(snapshot.value).toEqual(golden.expected.value);
    expect(viewOf(snapshot).status).toBe(golden.expected.status);
    expect(snapshot.context.iterations).toEqual(golden.expected.iterations);
    expect(snapshot.context.output).toEqual(golden.expected.output);
    expect(snapshot.context.reason).toEqual(golden.expected.reason);
    expect(snapshot.context.usage).toEqual(golden.expected.usage);
    // A finished step leaves no journal behind.
    expect(snapshot.context.calls).toEqual([]);
    // Nothing is left to decide automatically: replay never has to derive a decision again.
    expect(['done', 'wait']).toContain(nextStep(snapshot).kind);
  });

  it.each(goldens)('$file passes replay --verify', async ({ golden }) => {
    const events = golden.events.map(recordOf(golden.workflowId));
    expect(await replayHistories(registry, [{ workflowId: golden.workflowId, events }])).toEqual([expect.objectContaining({ folded: events.length })]);
  });

  it('research-crash-resumed: the re-run replayed the three recorded calls and made only the interrupted fourth', () => {
    const { golden } = goldens.find(({ file }) => file === 'research-crash-resumed.json')!;
    const calls = golden.events.filter((event) => event.type === 'CallCompleted').map((event) => event.data as { call: string; seq: number; attempt: number });
    expect(calls.map((call) => `${call.seq} ${call.call} #${call.attempt}`)).toEqual([
      '0 fetch pilot #1',
      '1 notes pilot #1',
      '2 fetch survey #1',
      '3 notes survey #2',
      '0 answer #1',
    ]);
    expect(
      golden.events
        .filter((event) => event.type === 'StepStarted')
        .map((event) => `${(event.data as { step: string }).step}#${(event.data as { attempt: number }).attempt}`),
    ).toEqual(['gather#1', 'gather#2', 'answer#1']);
  });
});
