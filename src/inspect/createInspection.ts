import type { Subscription } from 'rxjs';
import type { Logger } from 'winston';
import type { EventStore } from '../eventstore/index.js';
import type { DefinitionRegistry } from '../machines/index.js';
import { createWorkflowInspection, inspectStore, type WorkflowInspection } from './inspectWorkflows.js';
import { startInspectorRelay, type InspectorRelay } from './startInspectorRelay.js';

export interface Inspection {
  relay: InspectorRelay;
  workflows: WorkflowInspection;
  close(): Promise<void>;
}

/**
 * The relay plus a live feed from the store: every workflow event appended from now on shows in
 * the inspector as its workflow's actor, with the statechart of its definition version.
 */
export async function createInspection(options: { store: EventStore; definitions: DefinitionRegistry; port?: number; logger?: Logger }): Promise<Inspection> {
  const relay = await startInspectorRelay({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const workflows = createWorkflowInspection(relay.inspector, (definition, version) => options.definitions.get(definition, version)?.machine);
  const head = await options.store.headPosition();
  const subscription: Subscription = inspectStore(options.store, workflows, head === null ? {} : { afterPosition: head });
  return {
    relay,
    workflows,
    async close() {
      subscription.unsubscribe();
      await relay.close();
    },
  };
}
