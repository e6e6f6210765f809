import { workflowStream, type EventStore } from '../eventstore/index.js';

/**
 * The definition and version a stored workflow's `WorkflowStarted` names: the only ones its
 * events may be folded through. Undefined when the stream is empty.
 */
export async function writtenBy(store: EventStore, workflowId: string): Promise<{ definition: string; version: number } | undefined> {
  const [first] = await store.readStream(workflowStream(workflowId), { limit: 1 });
  if (first === undefined) return undefined;
  const data = first.data as { definition?: unknown; version?: unknown };
  return { definition: String(data.definition), version: Number(data.version) };
}
