import { describe, expect, it } from 'vitest';
import { type WorkflowEvent, createFolder, nextStep, viewOf } from '../../src/machines/index.js';
import { createSampleRegistry } from '../support/definitions.js';
import { loadGoldens } from './support/goldenHistories.js';

const registry = createSampleRegistry();
const goldens = loadGoldens();

describe('golden histories (test/fixtures/engine) fold to their recorded states with today\'s code', () => {
  it('there are histories of both shipped definitions', () => {
    const definitions = new Set(goldens.map(({ golden }) => (golden.events[0]?.data as { definition: string }).definition));
    expect(definitions).toEqual(new Set(['brief', 'serial3']));
  });

  it.each(goldens)('$file', ({ golden }) => {
    const started = golden.events[0]?.data as { definition: string; version: number };
    const definition = registry.get(started.definition, started.version);
    expect(definition, `${started.definition} v${started.version} must stay registered`).toBeDefined();
    const folder = createFolder(definition!.machine);
    let snapshot = folder.initial();
    for (const record of golden.events) {
      snapshot = folder.apply(snapshot, { type: record.type, data: record.data } as WorkflowEvent);
      // Each event recorded the state value it led to; today's machine must agree at every step.
      expect(JSON.stringify(snapshot.value), `${record.type} at revision ${record.revision}`).toBe(record.metadata.state);
    }
    expect(snapshot.value).toEqual(golden.expected.value);
    expect(viewOf(snapshot).status).toBe(golden.expected.status);
    expect(snapshot.context.iterations).toEqual(golden.expected.iterations);
    expect(snapshot.context.output).toEqual(golden.expected.output);
    expect(snapshot.context.reason).toEqual(golden.expected.reason);
    expect(snapshot.context.usage).toEqual(golden.expected.usage);
    // Nothing is left to decide automatically: replay never has to derive a decision again.
    expect(['done', 'wait']).toContain(nextStep(snapshot).kind);
  });
});
