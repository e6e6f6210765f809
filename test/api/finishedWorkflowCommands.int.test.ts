import { describe, expect, it } from 'vitest';
import { createMemoryEventStore, type EventStore } from '../../src/eventstore/index.js';
import { createHarness } from '../actors/support/harness.js';

/** A memory store that counts stream reads, to see which commands rehydrate a workflow. */
function countingStore(): { store: EventStore; reads: () => number } {
  const inner = createMemoryEventStore();
  let reads = 0;
  const store: EventStore = {
    get description() {
      return inner.description;
    },
    append: (stream, events, options) => inner.append(stream, events, options),
    readStream: (stream, options) => {
      reads += 1;
      return inner.readStream(stream, options);
    },
    readAll: (options) => inner.readAll(options),
    subscribeToAll: (options) => inner.subscribeToAll(options),
    subscribeToStream: (stream, options) => inner.subscribeToStream(stream, options),
    headPosition: () => inner.headPosition(),
    close: () => inner.close(),
  };
  return { store, reads: () => reads };
}

describe('a command to a workflow that finished and left memory (the 409 path of the API)', () => {
  it('is refused without reading the store, exactly as a rehydrated workflow would refuse it, and changes nothing', async () => {
    const counted = countingStore();
    const h = createHarness({ store: counted.store });
    await h.engine.start('serial3', {}, { id: 's1' });
    expect(await h.engine.settled('s1')).toMatchObject({ status: 'completed' });
    const before = await h.raw('s1');
    expect(h.engine.liveCount()).toBe(0);

    const readsBefore = counted.reads();
    const fromMemory = await h.engine.send('s1', { type: 'APPROVE' });
    expect(counted.reads()).toBe(readsBefore);

    const rehydrated = await h.restart().send('s1', { type: 'APPROVE' });
    expect(counted.reads()).toBeGreaterThan(readsBefore);
    expect(fromMemory).toEqual(rehydrated);
    expect(fromMemory).toMatchObject({ accepted: false, code: 'COMMAND_NOT_ALLOWED', accepts: [] });
    expect(await h.raw('s1')).toBe(before);
  });

  it('still validates the command first, and still reports an unknown workflow', async () => {
    const h = createHarness();
    await h.engine.start('serial3', {}, { id: 's1' });
    await h.engine.settled('s1');
    expect(await h.engine.send('s1', { type: 'REQUEST_REVISION', feedback: '' })).toMatchObject({ accepted: false, code: 'INVALID_COMMAND' });
    expect(await h.engine.send('nope', { type: 'APPROVE' })).toMatchObject({ accepted: false, code: 'WORKFLOW_NOT_FOUND' });
  });
});
