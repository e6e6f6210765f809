import { workflowStream, type EventStore } from '../eventstore/index.js';
import type { DefinitionRegistry } from '../machines/createRegistry.js';
import type { UpcasterRegistry } from '../projections/upcasters.js';
import { replayHistory, type ReplayResult } from './replayHistory.js';

export interface ReplayWorkflowOptions {
  /** Only `readStream` is used: replay never appends, subscribes or writes. */
  store: Pick<EventStore, 'readStream'>;
  /** Definitions keep old versions registered; replay folds with the version that wrote the stream. */
  registry: Pick<DefinitionRegistry, 'get'>;
  upcasters?: UpcasterRegistry;
  to?: number;
  verify?: boolean;
}

/** Reads one workflow's stream and folds it (see `replayHistory`): no model call, no artifact write, no append. */
export async function replayWorkflow(workflowId: string, options: ReplayWorkflowOptions): Promise<ReplayResult> {
  const events = await options.store.readStream(workflowStream(workflowId));
  return replayHistory(workflowId, events, {
    machineFor: (definition, version) => options.registry.get(definition, version)?.machine,
    ...(options.upcasters === undefined ? {} : { upcasters: options.upcasters }),
    ...(options.to === undefined ? {} : { to: options.to }),
    ...(options.verify === undefined ? {} : { verify: options.verify }),
  });
}
