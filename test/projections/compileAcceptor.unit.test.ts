import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileAcceptor } from '../../src/projections/compileAcceptor.js';
import { STORED_METADATA, STORED_PAYLOADS } from '../../src/projections/storedEventSchemas.js';
import type { WorkflowEventType } from '../../src/machines/index.js';
import { allGoldens } from './support/goldens.js';

/** The acceptor's promise: whatever it accepts, zod accepts too and returns unchanged. */
function expectAgreesWithZod(schema: z.ZodType, accepts: (value: unknown) => boolean, value: unknown): boolean {
  const accepted = accepts(value);
  if (accepted) {
    const parsed = schema.safeParse(value);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toStrictEqual(value);
  }
  return accepted;
}

const current = allGoldens()
  .flatMap((golden) => golden.events)
  .filter((event) => (event.data as { v?: number }).v === 1);

describe('compileAcceptor on the stored event schemas', () => {
  it('accepts every current-version event of the goldens, exactly as zod parses it', () => {
    expect(current.length).toBeGreaterThan(20);
    for (const event of current) {
      const payload = STORED_PAYLOADS.get(event.type as WorkflowEventType)!;
      expect(expectAgreesWithZod(payload.schema, payload.accepts, event.data), event.type).toBe(true);
      expect(expectAgreesWithZod(STORED_METADATA.schema, STORED_METADATA.accepts, event.metadata), event.type).toBe(true);
    }
  });

  it('leaves to zod whatever zod would reject, fill in or strip', () => {
    const completed = current.find((event) => event.type === 'StepCompleted' && (event.data as { llm?: unknown }).llm !== undefined)!;
    const data = completed.data as Record<string, unknown> & { llm: Record<string, unknown> };
    const payload = STORED_PAYLOADS.get('StepCompleted')!;
    const variants: Record<string, unknown> = {
      'missing step': { ...data, step: undefined },
      'empty step': { ...data, step: '' },
      'fractional iteration': { ...data, iteration: 1.5 },
      'iteration 0': { ...data, iteration: 0 },
      'string attempt': { ...data, attempt: '1' },
      'no v (default filled)': Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'v')),
      'newer v': { ...data, v: 2 },
      'unknown key (stripped)': { ...data, extra: true },
      'missing output': Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'output')),
      'negative tokens': { ...data, llm: { ...data.llm, inputTokens: -1 } },
      'infinite cost': { ...data, llm: { ...data.llm, costUsd: Number.POSITIVE_INFINITY } },
      'unknown key in llm': { ...data, llm: { ...data.llm, extra: 1 } },
      'array payload': [data],
      null: null,
    };
    for (const [name, value] of Object.entries(variants)) {
      expect(expectAgreesWithZod(payload.schema, payload.accepts, value), name).toBe(false);
    }
    const metadata = completed.metadata as Record<string, unknown>;
    for (const value of [
      { ...metadata, sender: 3 },
      { ...metadata, version: 1.5 },
      { ...metadata, at: undefined },
      { ...metadata, other: 'x' },
    ]) {
      expect(expectAgreesWithZod(STORED_METADATA.schema, STORED_METADATA.accepts, value)).toBe(false);
    }
  });

  it('checks enums, literals, records and arrays, and declines schemas it does not know', () => {
    const schema = z.object({ kind: z.enum(['a', 'b']), one: z.literal(1), flags: z.record(z.string(), z.boolean()), names: z.array(z.string().min(2)) });
    const accepts = compileAcceptor(schema)!;
    expect(expectAgreesWithZod(schema, accepts, { kind: 'a', one: 1, flags: { x: true }, names: ['ab'] })).toBe(true);
    for (const value of [
      { kind: 'c', one: 1, flags: {}, names: [] },
      { kind: 'a', one: 2, flags: {}, names: [] },
      { kind: 'a', one: 1, flags: { x: 1 }, names: [] },
      { kind: 'a', one: 1, flags: {}, names: ['a'] },
    ]) {
      expect(expectAgreesWithZod(schema, accepts, value)).toBe(false);
    }
    expect(compileAcceptor(z.string().email())).toBeUndefined();
    expect(compileAcceptor(z.union([z.string(), z.number()]))).toBeUndefined();
    expect(compileAcceptor(z.object({ a: z.string() }).catchall(z.number()))).toBeUndefined();
  });
});
