import type { RecordedEvent } from '../eventstore/index.js';
import { defaultUpcasterRegistry, type UpcasterRegistry } from '../machines/index.js';
import { decodeEvent } from './decodeEvent.js';
import { evolveStatus, newStatusRow, type StatusEvent, type StatusRow } from './statusReadModel.js';
import { effectiveStatusOf, toWorkflowStatusRow, type IsRegistered, type WorkflowStatusRow } from './statusQueries.js';

export interface StreamStatusOptions {
  isRegistered?: IsRegistered;
  upcasters?: UpcasterRegistry;
}

/**
 * One workflow's status folded from its own stream by the status read model's rules: the row the
 * read model will hold once it has applied these events. A writer answers with it at once instead
 * of waiting for the read model to catch up. The events are decoded as the engine decodes its own
 * streams (upcast, not validated again): they are the ones it just wrote or folded itself.
 */
export function statusOfStream(events: readonly RecordedEvent[], options: StreamStatusOptions = {}): WorkflowStatusRow | undefined {
  const upcasters = options.upcasters ?? defaultUpcasterRegistry();
  let row: StatusRow | undefined;
  for (const recorded of events) {
    const result = decodeEvent(recorded, upcasters, { trusted: true });
    if (!result.ok) continue;
    row ??= newStatusRow(result.decoded, result.decoded.position);
    evolveStatus(row, result.decoded);
  }
  return row === undefined ? undefined : toWorkflowStatusRow({ ...row, effective_status: effectiveStatusOf(row, options.isRegistered) });
}

/**
 * The same status folded from events the engine has just published (today's payloads, nothing to
 * upcast), without reading the stream back. Only a whole stream folds to its status: undefined
 * unless the events run from revision 0 without a gap.
 */
export function statusOfEvents(events: readonly StatusEvent[], options: Pick<StreamStatusOptions, 'isRegistered'> = {}): WorkflowStatusRow | undefined {
  const [first] = events;
  if (first === undefined || first.revision !== 0 || events.some((event, index) => event.revision !== index)) return undefined;
  // Where it started in the log is not part of the status a client sees.
  const row = newStatusRow(first, -1n);
  for (const event of events) evolveStatus(row, event);
  return toWorkflowStatusRow({ ...row, effective_status: effectiveStatusOf(row, options.isRegistered) });
}
