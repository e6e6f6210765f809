import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { toWorkflowEvent } from '../../src/actors/index.js';
import { createFolder } from '../../src/machines/index.js';
import type { WorkflowContext } from '../../src/machines/context.js';
import { LANGUAGE_GOLDEN_DIR, goldenRecordOf, goldenRegistry, loadGoldens } from './support/goldenHistories.js';

// XState's `assign` builds every new context with `Object.assign({}, context, update)`. V8 keeps an
// object built that way in fast mode only up to a number of properties (19 on Node 20); past it the
// object becomes a hash table, and every later transition copies and reads it several times slower
// (a sleeping workflow's fold took 29 µs instead of 19 µs: bench/timers.ts, docs/engine.md).
setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('object', 'return %HasFastProperties(object)') as (object: object) => boolean;

/** Every key a context can carry, optional ones included: tsc fails here when WorkflowContext gains one. */
const EVERY_KEY: Record<keyof WorkflowContext, true> = {
  workflowId: true,
  input: true,
  inputHash: true,
  policies: true,
  iterations: true,
  granted: true,
  outputs: true,
  artifacts: true,
  feedback: true,
  current: true,
  calls: true,
  usage: true,
  budgetWaived: true,
  waiting: true,
  sleeping: true,
  routing: true,
  error: true,
  reason: true,
  output: true,
};

/** The most properties an object copied with `Object.assign({}, …)` keeps in fast mode on this V8. */
function fastCopyLimit(): number {
  let limit = 0;
  for (let count = 1; count <= 64; count++) {
    const source = Object.fromEntries(Array.from({ length: count }, (_, index) => [`key${index}`, index]));
    if (!hasFastProperties(Object.assign({}, source))) break;
    limit = count;
  }
  return limit;
}

describe('the workflow context stays small enough for V8 to copy it fast', () => {
  it('has no more keys, optional ones included, than an Object.assign copy keeps in fast mode', () => {
    const limit = fastCopyLimit();
    expect(limit).toBeGreaterThan(0);
    const keys = Object.keys(EVERY_KEY);
    expect(keys.length, `WorkflowContext has ${keys.length} keys (${keys.join(', ')}); group new ones under an existing key`).toBeLessThanOrEqual(limit);
  });

  it('is in fast mode after every event of every golden history', () => {
    const registry = goldenRegistry();
    const goldens = [...loadGoldens(), ...loadGoldens(LANGUAGE_GOLDEN_DIR)];
    for (const { file, golden } of goldens) {
      const started = golden.events[0]?.data as { definition: string; version: number };
      const folder = createFolder(registry.get(started.definition, started.version)!.machine);
      let snapshot = folder.initial();
      for (const record of golden.events.map(goldenRecordOf(golden.workflowId))) {
        snapshot = folder.apply(snapshot, toWorkflowEvent(record));
        expect(hasFastProperties(snapshot.context), `${file}: ${record.type} at revision ${record.revision}`).toBe(true);
      }
    }
  });
});
