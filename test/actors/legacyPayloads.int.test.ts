import { describe, expect, it } from 'vitest';
import { workflowStream } from '../../src/eventstore/index.js';
import { createFolder } from '../../src/machines/index.js';
import { replayHistories } from '../../src/testing/index.js';
import { createSampleRegistry } from '../support/definitions.js';
import { loadGolden } from '../projections/support/goldens.js';
import { createHarness } from './support/harness.js';

// brief v1 written with v0 payloads: no `v`, StepCompleted with `result`/`usage` and no `attempt`.
const legacy = loadGolden('brief-v1-legacy-payloads.json');

describe('the engine reads old payloads through the same upcasters as replay and the projections', () => {
  it('a workflow whose stream holds v0 payloads is rehydrated and resumed (it used to be CORRUPT_STREAM)', async () => {
    const h = createHarness();
    // Stopped while the first review ran: extract and draft completed with v0 payloads.
    await h.store.append(workflowStream(legacy.workflowId), legacy.events.slice(0, 6), { expectedRevision: 'no_stream' });
    const view = await h.engine.get(legacy.workflowId);
    expect(view).toMatchObject({ state: 'review.running', status: 'running', revision: 5 });
    // The upcast accounting counts: 2 × (800 + 200) tokens.
    expect(view?.usage).toEqual({ inputTokens: 1_600, outputTokens: 400, costUsd: 0.0108 });
    expect(view?.context.outputs).toEqual({ extract: 'extract 1', draft: 'draft 1' });

    const resumed = await h.engine.settled(legacy.workflowId);
    expect(resumed.status).toBe('completed');
    expect(h.llm.calls.map((call) => `${call.step}/${call.iteration}#${call.attempt}`)[0]).toBe('review/1#2');
    await h.engine.close();

    // Old and new payloads in one stream: replay --verify reads them alike, and the fold is what the engine holds.
    const records = await h.store.readStream(workflowStream(legacy.workflowId));
    expect(await replayHistories(createSampleRegistry(), [{ workflowId: legacy.workflowId, events: records }])).toEqual([
      expect.objectContaining({ folded: records.length }),
    ]);
    const restarted = h.restart();
    expect((await restarted.get(legacy.workflowId))?.context).toEqual(resumed.context);
    await restarted.close();
  });

  it('a finished legacy workflow is read to its final state, and refuses commands as any finished one does', async () => {
    const h = createHarness();
    await h.store.append(workflowStream(legacy.workflowId), legacy.events, { expectedRevision: 'no_stream' });
    const view = await h.engine.get(legacy.workflowId);
    expect(view).toMatchObject({ status: 'completed', revision: legacy.lastRevision, output: { artifact: 'golden-legacy/brief.md' } });
    expect(await h.engine.send(legacy.workflowId, { type: 'APPROVE' })).toMatchObject({ accepted: false, code: 'COMMAND_NOT_ALLOWED' });
    // The raw payloads fold only through the upcasters: without them the machine refuses the first v0 StepCompleted.
    const raw = legacy.events.map((event) => ({ type: event.type, data: event.data }) as never);
    expect(() => createFolder(h.definitions.get('brief', 1)!.machine).fold(raw)).toThrowError(/does not accept StepCompleted in state \{"extract":"running"\}/);
    await h.engine.close();
  });
});
