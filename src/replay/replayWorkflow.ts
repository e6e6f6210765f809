import { workflowStream, type EventStore } from '../eventstore/index.js';
import type { DefinitionRegistry } from '../machines/createRegistry.js';
import type { UpcasterRegistry } from '../projections/upcasters.js';
import { startReplay, type ReplayResult } from './replayHistory.js';

export interface ReplayWorkflowOptions {
  /** Only `readStream` is used: replay never appends, subscribes or writes. */
  store: Pick<EventStore, 'readStream'>;
  /** Definitions keep old versions registered; replay folds with the version that wrote the stream. */
  registry: Pick<DefinitionRegistry, 'get'>;
  upcasters?: UpcasterRegistry;
  to?: number;
  verify?: boolean;
}

/**
 * Events read per page. Each page is folded and dropped before the next is read, so the records of
 * a long stream die young instead of being carried (and copied by the garbage collector) to the end.
 */
const PAGE = 500;

/** Reads one workflow's stream page by page and folds it (see `replayHistory`): no model call, no artifact write, no append. */
export async function replayWorkflow(workflowId: string, options: ReplayWorkflowOptions): Promise<ReplayResult> {
  const stream = workflowStream(workflowId);
  let page = await options.store.readStream(stream, { limit: PAGE });
  const fold = startReplay(workflowId, page[0], {
    machineFor: (definition, version) => options.registry.get(definition, version)?.machine,
    ...(options.upcasters === undefined ? {} : { upcasters: options.upcasters }),
    ...(options.to === undefined ? {} : { to: options.to }),
    ...(options.verify === undefined ? {} : { verify: options.verify }),
  });
  let last = page[page.length - 1]!.revision;
  for (;;) {
    if (!fold.next(page)) {
      // Stopped before the end (`to`, or a divergence): the header still counts the whole stream.
      last = (await options.store.readStream(stream, { direction: 'backwards', limit: 1 }))[0]?.revision ?? last;
      break;
    }
    if (page.length < PAGE) break;
    page = await options.store.readStream(stream, { from: last + 1, limit: PAGE });
    if (page.length === 0) break;
    last = page[page.length - 1]!.revision;
  }
  return fold.result(last);
}
