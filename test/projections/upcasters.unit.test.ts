import { describe, expect, it } from 'vitest';
import { createUpcasterRegistry, defaultUpcasterRegistry } from '../../src/projections/index.js';

describe('payload upcasters', () => {
  const registry = defaultUpcasterRegistry();

  it('upcasts a v0 StepCompleted (result + usage, no attempt) to v1', () => {
    const legacy = {
      step: 'draft',
      iteration: 2,
      result: 'the draft',
      usage: { model: 'claude-x', tokensIn: 10, tokensOut: 20, costUsd: 0.5, latencyMs: 30, promptHash: 'p' },
    };
    expect(registry.upcast('StepCompleted', legacy)).toEqual({
      ok: true,
      fromVersion: 0,
      data: {
        v: 1,
        step: 'draft',
        iteration: 2,
        attempt: 1,
        output: 'the draft',
        llm: { model: 'claude-x', inputTokens: 10, outputTokens: 20, costUsd: 0.5, latencyMs: 30, attempts: 1, promptHash: 'p' },
      },
    });
  });

  it("leaves an unversioned payload that already has today's shape as it is, adding v", () => {
    const data = { step: 'draft', iteration: 1, attempt: 3, output: { a: 1 } };
    expect(registry.upcast('StepCompleted', data)).toEqual({ ok: true, fromVersion: 0, data: { ...data, v: 1 } });
    expect(registry.upcast('WorkflowCancelled', { reason: 'x' })).toEqual({ ok: true, fromVersion: 0, data: { v: 1, reason: 'x' } });
  });

  it('adds the verdict a v0 RevisionRequested implied', () => {
    expect(registry.upcast('RevisionRequested', { step: 'draft', by: 'review', iteration: 1, feedback: 'more' })).toMatchObject({
      ok: true,
      data: { verdict: 'revise', v: 1 },
    });
  });

  it('passes current payloads through and refuses newer ones', () => {
    const current = { v: 1, reason: 'x' };
    expect(registry.upcast('WorkflowFailed', current)).toEqual({ ok: true, fromVersion: 1, data: current });
    expect(registry.upcast('WorkflowFailed', { v: 2, reason: 'x' })).toEqual({ ok: false, reason: 'newer_version', version: 2 });
    expect(registry.upcast('WorkflowFailed', 'text')).toEqual({ ok: false, reason: 'not_an_object', version: 0 });
  });

  it('reports a missing step of the chain, and refuses two upcasters for the same version', () => {
    expect(createUpcasterRegistry([]).upcast('WorkflowFailed', { reason: 'x' })).toEqual({ ok: false, reason: 'no_upcaster', version: 0 });
    const twice = { type: 'WorkflowFailed' as const, from: 0, upcast: (data: object) => data as never };
    expect(() => createUpcasterRegistry([twice, twice])).toThrow(/Two upcasters/);
  });
});
