import { describe, expect, it } from 'vitest';
import { findActiveWorkflows } from '../../src/actors/findActiveWorkflows.js';
import { createMemoryEventStore, workflowStream, type EventStore } from '../../src/eventstore/index.js';

let ids = 0;
const append = (store: EventStore, workflowId: string, types: readonly string[]) =>
  store.append(
    workflowStream(workflowId),
    types.map((type) => ({ id: `00000000-0000-4000-8000-${(++ids).toString(16).padStart(12, '0')}`, type, data: { v: 1 }, metadata: {} })),
  );

describe('findActiveWorkflows: the scan recovery starts with', () => {
  it('sorts unfinished workflows by what they wait for, and hands over the short streams it read whole', async () => {
    const store = createMemoryEventStore();
    await append(store, 'running', ['WorkflowStarted', 'StepStarted']);
    await append(store, 'done', ['WorkflowStarted', 'StepStarted']);
    await append(store, 'person', ['WorkflowStarted', 'HumanInputRequested']);
    await append(store, 'long', ['WorkflowStarted', 'StepStarted', ...Array.from({ length: 120 }, () => 'CallCompleted')]);
    await append(store, 'done', ['StepCompleted', 'WorkflowCompleted']);
    await append(store, 'running', ['CallCompleted']);

    const active = await findActiveWorkflows(store);
    expect(active.resumable.sort()).toEqual(['long', 'running']);
    expect(active.waiting).toEqual(['person']);
    // Short and resumable: folded from what the scan read, in stream order. Long: read again (through its snapshot cache).
    expect([...active.streams.keys()]).toEqual(['running']);
    expect(active.streams.get('running')?.map((record) => `${record.revision} ${record.type}`)).toEqual([
      '0 WorkflowStarted',
      '1 StepStarted',
      '2 CallCompleted',
    ]);
  });
});
