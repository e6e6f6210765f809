import { describe, expect, it } from 'vitest';
import { STORED_METADATA, STORED_PAYLOADS } from '../../src/projections/storedEventSchemas.js';
import type { WorkflowEventType } from '../../src/machines/index.js';
import { allGoldens } from './support/goldens.js';

const current = allGoldens()
  .flatMap((golden) => golden.events)
  .filter((event) => (event.data as { v?: number }).v === 1);

describe('the stored event schemas (what projections and replay --verify validate with)', () => {
  it('accept every current-version event of the goldens unchanged', () => {
    expect(current.length).toBeGreaterThan(20);
    for (const event of current) {
      const payload = STORED_PAYLOADS.get(event.type as WorkflowEventType)!.safeParse(event.data);
      expect(payload.success, event.type).toBe(true);
      expect(payload.data, event.type).toStrictEqual(event.data);
      expect(STORED_METADATA.safeParse(event.metadata).data, event.type).toStrictEqual(event.metadata);
    }
  });

  it('check JSON fields for presence only, and reject, fill in or strip the rest as the event schemas do', () => {
    const completed = current.find((event) => event.type === 'StepCompleted' && (event.data as { llm?: unknown }).llm !== undefined)!;
    const data = completed.data as Record<string, unknown> & { llm: Record<string, unknown> };
    const payload = STORED_PAYLOADS.get('StepCompleted')!;
    // The store parsed it from JSON text: not walked again (a Map could never come out of a store).
    expect(payload.safeParse({ ...data, output: new Map() }).success).toBe(true);
    const rejected: Record<string, unknown> = {
      'missing step': { ...data, step: undefined },
      'empty step': { ...data, step: '' },
      'fractional iteration': { ...data, iteration: 1.5 },
      'iteration 0': { ...data, iteration: 0 },
      'string attempt': { ...data, attempt: '1' },
      'newer v': { ...data, v: 2 },
      'missing output': Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'output')),
      'negative tokens': { ...data, llm: { ...data.llm, inputTokens: -1 } },
      'infinite cost': { ...data, llm: { ...data.llm, costUsd: Number.POSITIVE_INFINITY } },
      'array payload': [data],
      null: null,
    };
    for (const [name, value] of Object.entries(rejected)) expect(payload.safeParse(value).success, name).toBe(false);
    expect(payload.parse(Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'v')))).toStrictEqual(data);
    expect(payload.parse({ ...data, extra: true })).toStrictEqual(data);
    const metadata = completed.metadata as Record<string, unknown>;
    for (const value of [
      { ...metadata, sender: 3 },
      { ...metadata, version: 1.5 },
      { ...metadata, at: undefined },
    ]) {
      expect(STORED_METADATA.safeParse(value).success).toBe(false);
    }
    expect(STORED_METADATA.parse({ ...metadata, other: 'x' })).toStrictEqual(metadata);
  });
});
