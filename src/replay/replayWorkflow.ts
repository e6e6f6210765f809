import { workflowStream, type EventStore } from '../eventstore/index.js';
import type { DefinitionRegistry, UpcasterRegistry } from '../machines/index.js';
import { startReplay, type ReplayResult, type ReplayTransition } from './replayHistory.js';

/** What is being replayed, known before the first transition. */
export interface ReplayHeader {
  workflowId: string;
  definition: string;
  version: number;
  /** Revision of the stream's last event. */
  lastRevision: number;
  to?: number;
}

export interface ReplayWorkflowOptions {
  /** Only `readStream` is used: replay never appends, subscribes or writes. */
  store: Pick<EventStore, 'readStream'>;
  /** Definitions keep old versions registered; replay folds with the version that wrote the stream. */
  registry: Pick<DefinitionRegistry, 'get'>;
  upcasters?: UpcasterRegistry;
  to?: number;
  verify?: boolean;
  /** Called once the stream and its definition version are known, before the first transition. */
  onStart?: (header: ReplayHeader) => void;
  /** Receives each transition as it is folded; the result then keeps none (see `ReplayHistoryOptions`). */
  onTransition?: (transition: ReplayTransition) => void;
}

/**
 * Events read per page. Each page is folded and dropped before the next is read, so the records of
 * a long stream die young instead of being carried (and copied by the garbage collector) to the end.
 */
const PAGE = 500;

/** Reads one workflow's stream page by page and folds it (see `replayHistory`): no model call, no artifact write, no append. */
export async function replayWorkflow(workflowId: string, options: ReplayWorkflowOptions): Promise<ReplayResult> {
  const stream = workflowStream(workflowId);
  // The header counts the whole stream, however far the replay goes.
  const lastRevision = (await options.store.readStream(stream, { direction: 'backwards', limit: 1 }))[0]?.revision ?? -1;
  let page = await options.store.readStream(stream, { limit: PAGE });
  const fold = startReplay(workflowId, page[0], {
    definitionFor: (definition, version) => options.registry.get(definition, version),
    ...(options.upcasters === undefined ? {} : { upcasters: options.upcasters }),
    ...(options.to === undefined ? {} : { to: options.to }),
    ...(options.verify === undefined ? {} : { verify: options.verify }),
    ...(options.onTransition === undefined ? {} : { onTransition: options.onTransition }),
  });
  options.onStart?.({ workflowId, definition: fold.definition, version: fold.version, lastRevision, ...(options.to === undefined ? {} : { to: options.to }) });
  let last = page[page.length - 1]!.revision;
  while (fold.next(page) && page.length === PAGE) {
    page = await options.store.readStream(stream, { from: last + 1, limit: PAGE });
    if (page.length === 0) break;
    last = page[page.length - 1]!.revision;
  }
  // Events appended while replaying are folded too; the header counted the stream as it was.
  return fold.result(Math.max(last, lastRevision));
}
